"""The request an agent sent a sub-agent, as words: read before ``prepare`` drops the raw input.

The OpenAI Agents SDK's ``Agent.as_tool`` (openai-agents-python ``src/agents/agent.py``) wraps the
sub-agent's run in a function tool whose one parameter is ``input`` (``run_agent(context, input:
str)``); the trace's ``function`` span holds the call's arguments (``{"input": ...}``,
``src/agents/tracing/span_data.py`` FunctionSpanData.input) and the nested ``agent`` span none. The
prepared ``args`` of a tool has no whitespace (the same call re-serialised is the same call), which
runs the request's words together: "Convert 250 EUR to USD" and "250 EUR to USD: convert" were two
requests. The words are kept here (``request_words``) for the tool calls whose arguments have an
``input`` key, the few that can be an agent called as a tool.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.conventions.registry import Convention, Signal, on_rows, published, register

#: Prepositions that give the words after them a role ("compare Acme to Globex", "convert EUR into
#: USD", "routes from Lyon", "faster than X", "Acme vs Globex"): a closed class of English. Two
#: requests of the same words ask the same only if each such word is followed by the same word:
#: "compare Acme to Globex" and "compare Globex to Acme" are two requests (which one is the
#: baseline), "Contoso 2023 revenue: find its sources" is "Find Contoso's 2023 revenue and its
#: sources" reworded. Roles word order alone gives ("Acme acquired Globex") are not read.
_ROLE_MARKED: Final = r"\b(?:to|from|into|onto|than|vs|versus|against)\s+\w+"
#: A number and the word it counts, written after it in English ("2 adults, 1 child, 3 nights";
#: "250 EUR"): the same numbers given to other words ("1 adult, 2 children") are another request.
_COUNTED: Final = r"\b\d+(?:\.\d+)?\s+[^\W\d]\w*"


def request_words(text: pl.Expr) -> pl.Expr:
    """A request as the set of its words (lower case, sorted, each once), JSON keys dropped, with
    the word after each role-marking preposition (:data:`_ROLE_MARKED`) and after each number
    (:data:`_COUNTED`): the same question reworded in order, case or punctuation is the same
    request; the same words with the roles or the counts swapped are not. An empty request is
    ``""``."""
    lowered = text.str.replace_all(r'\\?"[^"\\]*\\?"\s*:', " ").str.to_lowercase()
    bag = lowered.str.extract_all(r"\w+").list.unique().list.sort().list.join(" ")
    roles = (
        lowered.str.replace_all(r"[^\w\s]+", " ")
        .str.extract_all(_ROLE_MARKED + "|" + _COUNTED)
        .list.eval(pl.element().str.replace_all(r"\s+", " "))
        .list.unique()
        .list.sort()
        .list.join(",")
    )
    return pl.when(bag.fill_null("") == "").then(bag).otherwise(pl.concat_str([bag, roles], separator=" | "))


def _extract() -> list[pl.Expr]:
    words = on_rows(
        pl.col("kind") == "tool",
        pl.col("input"),
        lambda e: pl.when(e.str.contains('"input"', literal=True)).then(request_words(e)),
    )
    return [words.alias("_cv_request_words")]


register(
    Convention(
        name="sub_agent_requests",
        signals=(
            Signal(
                'an agent called as a tool: the function span\'s input {"input": ...}, the nested agent span without one',
                "OpenAI Agents SDK (Agent.as_tool)",
                "src/agents/agent.py (as_tool: run_agent(context, input: str)); "
                "src/agents/tracing/span_data.py (FunctionSpanData.input)",
                "request_words (the request as a set of words, with the word after each role-marking preposition and each number)",
            ),
        ),
        extract=_extract,
        status=published("_cv_request_words", "request_words"),
        columns={
            "request_words": "a tool call's request as words (sub_agent_requests.request_words) when its "
            "arguments have an input key (an Agents SDK agent as a tool), else null"
        },
    )
)
