"""What each tool call was, read once per classification: the run's tool spans with their arguments
in one spelling per call (``call_args``), so the detectors that compare calls (repeated_action,
redo_after_restart, requery, step_redo, runaway_loop) agree on when two calls are the same call.
"""

from __future__ import annotations

import json
import re
from typing import Any

import polars as pl

from forensics.detectors.base import Context

#: The OpenInference smolagents instrumentation writes a tool call's ``input.value`` as the JSON of
#: ``Tool.__call__``'s bound arguments without ``self``: ``{"args": [...], "sanitize_inputs_outputs":
#: bool, "kwargs": {...}}`` (openinference-instrumentation-smolagents, _wrappers.py:
#: ``_ToolCallWrapper`` -> ``_get_input_value`` -> ``_bind_arguments`` + ``_strip_method_args``).
_SMOLAGENTS_CALL_KEYS = frozenset({"args", "kwargs", "sanitize_inputs_outputs"})
#: The OpenInference CrewAI instrumentation spans ``ToolUsage._use(tool_string, tool, calling)`` and
#: writes its bound arguments as ``input.value``: ``{"tool_string": <the model's whole ReAct text,
#: its Thought included>, "tool": <the tool object's repr>, "calling": {"tool_name", "arguments"}}``
#: (openinference-instrumentation-crewai _wrappers.py: ``_ToolUseWrapper`` -> ``_get_input_value``;
#: crewAI src/crewai/tools/tool_usage.py ``_use``). The call is ``calling.arguments``: the Thought
#: before it is new at every step ("I should search again to confirm"), so read as written the same
#: search never repeated.
_CREWAI_CALL_KEYS = frozenset({"tool_string", "tool", "calling"})


def _canonical_args(text: str, letters: bool = True) -> str:
    """One spelling per call: a smolagents ``{args, kwargs}`` input becomes the list of the values
    the tool was given (positional first, then keyword, omitted-as-null keywords dropped), a CrewAI
    ``{tool_string, tool, calling}`` input the values of ``calling.arguments``, so
    ``visit_page("u")``, ``visit_page(url="u")`` and the same call with ``sanitize_inputs_outputs``
    flipped are one call; a text value becomes its sorted letters and digits, so
    ``web_search("Galdhøpiggen height")`` and ``web_search("height: Galdhøpiggen?")`` are one call
    (``letters=False``: the values as given, for an act whose every character counts, a post's text,
    an amount). Anything else is kept as written (already without whitespace)."""
    try:
        value: Any = json.loads(text)
    except ValueError:
        return text
    if not isinstance(value, dict):
        return text
    calling = value.get("calling")
    if value.keys() == _CREWAI_CALL_KEYS and isinstance(calling, dict) and isinstance(calling.get("arguments"), dict):
        # CrewAI's ToolCalling: the arguments the model gave the tool, keyword by keyword.
        given: list[Any] = [v for v in calling["arguments"].values() if v is not None]
    elif (
        {"args", "kwargs"} <= value.keys() <= _SMOLAGENTS_CALL_KEYS
        and isinstance(value["args"], list)
        and isinstance(value["kwargs"], dict)
    ):
        given = [*value["args"], *(v for v in value["kwargs"].values() if v is not None)]
    else:
        return text
    # A text argument (a search query, a question) re-cased, re-punctuated or with its words
    # re-ordered asks the same thing. The prepared ``args`` column has no whitespace left, so the
    # words cannot be split again: the key is the value's letters and digits, sorted (two different
    # queries with the same letters would also need identical results to count as a repeat, see
    # the detectors). URLs are kept as written.
    if letters:
        given = [_letters(v) if isinstance(v, str) and "://" not in v else v for v in given]
    return json.dumps(given, sort_keys=True, separators=(",", ":"), ensure_ascii=False)



_WORDS = re.compile(r"\w+")


def _letters(text: str) -> str:
    return "".join(sorted("".join(_WORDS.findall(text.lower()))))


def tool_calls(ctx: Context) -> pl.DataFrame:
    """The run's tool calls with ``call_args`` (normalised arguments, see :func:`_canonical_args`,
    in lower case) and ``call_values`` (the values as given, one spelling for positional, keyword and
    the sanitize flag: duplicate_side_effect). Whether the agent's model issued a call again:
    decisions.model_decided."""

    def build() -> pl.LazyFrame:
        tools = ctx.spans.lazy().filter(pl.col("kind") == "tool")
        # Only the smolagents and CrewAI shapes are re-read, once per distinct argument text (a Python parse
        # over the few distinct values, never over the rows).
        smol = (
            tools.select("args")
            .filter(pl.col("args").str.starts_with('{"args":') | pl.col("args").str.starts_with('{"tool_string":'))
            .unique()
            .collect()
            .get_column("args")
        )
        canon = [_canonical_args(a) for a in smol.to_list()]
        values = [_canonical_args(a, letters=False) for a in smol.to_list()]
        call_args, call_values = (
            (
                pl.col("args").replace_strict(smol, canon, default=pl.col("args"), return_dtype=pl.String),
                pl.col("args").replace_strict(smol, values, default=pl.col("args"), return_dtype=pl.String),
            )
            if len(smol)
            else (pl.col("args"), pl.col("args"))
        )
        # Letter case is no new argument (a query re-typed in other case is the same search); the
        # detectors that compare calls also require identical results, which guards the rare
        # argument where case matters.
        return tools.with_columns(call_args.str.to_lowercase().alias("call_args"), call_values.alias("call_values"))

    # build() collects as it goes (the distinct smolagents argument texts): run on the first call only.
    return ctx.once("tool_calls", lambda: build().collect())
