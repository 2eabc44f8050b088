"""Claims with a pronoun or elided object ("I've archived it", "Done, archived.", "LAPTOP-4471
quarantined."), for ``claims.claim_hits``: the past tense of the verb of a tool of the run (called,
or offered to its model) that no call did, said as the agent's own act."""

from __future__ import annotations

import re
from typing import Final

import polars as pl

from forensics.conventions.registry import Q as _Q
from forensics.detectors.base import Context
from forensics.detectors.claim_acts import done_by_another_tool
from forensics.detectors.claim_vocabulary import past_forms, tool_verb_object
from forensics.detectors.claims import _core, _fragment

#: The object of a claim said with a pronoun ("I've archived it") or left out ("Done, archived.").
_PRONOUN: Final = r"(?:\s+(?:it|them|that|this|those|these|both|all\s+of\s+them))?"
_SUBJECT: Final = (
    r"\b(?:i|we)(?:(?:'|’)ve|\s+have|\s+had)?"
    r"(?:\s+(?:just|also|already|now|successfully|gone\s+ahead\s+and|went\s+ahead\s+and))*\s+"
)
_DONE_LEAD: Final = r"\b(?:done|ok|okay|sure|all\s+set)\s*[,:;!—–-]+\s*(?:(?:i|we)(?:(?:'|’)ve|\s+have)?\s+)?"
#: A second verb of the same subject ("I've labelled the thread and archived it").
_AND_LEAD: Final = r"\b(?:and|then)\s+(?:also\s+|then\s+)?"
#: The clause ends right after the pronoun (or the verb): an object in words is the object rule's.
_CLAUSE_END: Final = (
    r"(?:\s+(?:for\s+you|as\s+requested|now|too|already|successfully))?\s*(?:[.!,;:)\n]|$|\s(?:and|so)\b)"
)


#: An object named by its identifier, a headline's subject ("LAPTOP-4471 quarantined", "INV-0419
#: has been voided"): a word with a digit in it (a host, ticket or invoice id), never a bare number.
_IDENT_SUBJECT: Final = (
    r"(?-u:\b)[A-Za-z][A-Za-z0-9_.-]*[0-9][A-Za-z0-9_-]*\s+"
    r"(?:(?:has|have|had)\s+been\s+|was\s+|were\s+|is\s+|are\s+|got\s+)?(?:now\s+|successfully\s+)?"
)


#: Where a sentence starts: the text's start, after sentence punctuation, a new line (a list
#: item's bullet after it; an escaped one in a message kept as JSON) or an opening quote (a message's
#: content in a JSON state).
_SENTENCE_START: Final = r"(?:^|[.!?]\s+|(?:\n|\\n)\s*(?:[-*•]\s+)?|\"|“)"


def pronoun_claim(verb: str, tried: bool = False) -> str:
    """The claim regex for ``verb`` done to an object named by a pronoun or left out, said by the
    agent ("I've archived it", "we deleted them", "Done, archived.", "... and archived it"): the
    past form after a first person subject, a "done" lead-in or an "and" joining it to an earlier
    verb, then a pronoun or nothing, then the end of the clause; or the object named by its
    identifier, headline-style ("LAPTOP-4471 quarantined.", "INV-0419 has been voided and ...").

    ``tried``: the run's model called or asked for a tool with this verb (not only offered it).
    Then the act said with any object is a claim of that act too: the past form opening a
    sentence with its subject left out, as agents report their own acts ("Deployed payments-api
    v2.14.0 to prod.", "Sent the invite to Anya."), capitalised."""
    forms = past_forms(verb)
    past = "|".join(re.escape(p).replace(r"\ ", r"\s+") for p in forms)
    own = (
        rf"(?i)(?:{_SUBJECT}|{_DONE_LEAD}|{_AND_LEAD})(?:{past}){_PRONOUN}{_CLAUSE_END}"
        rf"|{_IDENT_SUBJECT}(?:{past}){_CLAUSE_END}"
    )
    if not tried:
        return own
    initial = "|".join(
        f"(?-i:{re.escape(p[0].upper())})" + re.escape(p[1:]).replace(r"\ ", r"\s+") for p in forms
    )
    return own + rf"|{_SENTENCE_START}(?:{initial})\s+[A-Za-z0-9$'‘]"


#: A tool call the model asked for, in its message (the call may never have run: a rejected
#: approval, a dropped request): OpenAI Chat Completions ``tool_calls`` ({"type": "function",
#: "function": {"name": ...}}), Anthropic ``tool_use`` content blocks, OpenTelemetry GenAI
#: ``tool_call`` message parts (gen-ai-input-messages.json / output-messages.json), the Responses
#: API ``function_call`` items. Quotes may be escaped (a message kept as a JSON string). A tool's
#: definition ({"type": "function", "function": {"name": ..., "parameters": ...}}) is an offer, not
#: a request: a Chat Completions call is read only with its ``arguments`` after the name.
_NAME: Final = r"([A-Za-z_][A-Za-z0-9_.:-]*)"
_REQUESTED: Final = (
    rf"{_Q}function{_Q}\s*:\s*\{{\s*{_Q}name{_Q}\s*:\s*{_Q}{_NAME}{_Q}\s*,\s*{_Q}arguments{_Q}"
    rf"|{_Q}type{_Q}\s*:\s*{_Q}(?:tool_use|tool_call|function_call){_Q}[^{{}}]*?{_Q}name{_Q}\s*:\s*{_Q}{_NAME}{_Q}"
    # The same request with its arguments first, as the OpenAI SDK's pydantic Function dumps it
    # ({"arguments": "...", "name": ...}: LangChain's additional_kwargs.tool_calls in a LangSmith or
    # Langfuse run), and LangChain's own ToolCall ({"name": ..., "args": {...}, "id", "type"},
    # langchain_core/messages/tool.py) in an AIMessage's tool_calls.
    # (its arguments string read as a JSON string, escapes and all: a "name" inside it is not the
    # tool's; only unescaped, a message kept as a JSON string is not read so)
    rf'|"function"\s*:\s*\{{\s*"arguments"\s*:\s*"(?:[^"\\]|\\.)*"\s*,\s*"name"\s*:\s*"{_NAME}"'
    rf"|{_Q}name{_Q}\s*:\s*{_Q}{_NAME}{_Q}\s*,\s*{_Q}args{_Q}\s*:"
)


def requested_tools(ctx: Context) -> pl.LazyFrame:
    """``run_key, call_tool, seq``: the tools the run's model asked to call, read from its
    messages: every model call's output, and the input of each run's last model call (the
    conversation so far, which holds the requests of the calls exported without output, as a
    resumed graph's history)."""
    llm = ctx.spans.lazy().filter(pl.col("kind") == "llm")
    # ``args``: the prepared table's inputs (a model call's as written).
    last_input = (
        llm.filter(pl.col("args").is_not_null())
        .sort("run_key", "seq")
        .group_by("run_key")
        .agg(pl.col("args").last().alias("text"), pl.col("seq").last())
    )
    texts = pl.concat([llm.select("run_key", pl.col("output").alias("text"), "seq"), last_input], how="vertical_relaxed")
    asked = texts.filter(
        pl.col("text").str.contains_any(["tool_calls", "tool_use", "tool_call", "function_call"]).fill_null(False)
    )
    return (
        asked.select("run_key", "seq", pl.col("text").str.extract_all(_REQUESTED).alias("_m"))
        .explode("_m")
        .drop_nulls("_m")
        .select(
            "run_key",
            pl.coalesce(*[pl.col("_m").str.extract(_REQUESTED, i) for i in range(1, 5)]).alias("call_tool"),
            pl.col("seq").cast(pl.Int64),
        )
        .drop_nulls("call_tool")
        .group_by("run_key", "call_tool")
        .agg(pl.col("seq").min())
    )


def _norm(name: pl.Expr) -> pl.Expr:
    return name.str.to_lowercase().str.replace_all(r"[^a-z0-9]", "")


def _handed_over(ctx: Context, asked: pl.LazyFrame) -> pl.LazyFrame:
    """``asked`` with ``succeeded``: a tool the model asked for that a span of the run named for it
    ran and ended well (whatever its kind), or a transfer tool whose handoff happened (a
    successful handoff span to the agent the tool is named for), did its act. The OpenAI Agents SDK
    logs a handoff as a handoff span, never as a function span, and names its tool
    ``transfer_to_<agent name in snake case>`` (src/agents/handoffs.py, default_tool_name)."""
    handed = (
        ctx.spans.lazy()
        .filter((pl.col("kind") == "handoff") & pl.col("succeeded") & pl.col("handoff_target").is_not_null())
        .select("run_key", _norm(pl.col("handoff_target")).alias("_target"))
        .unique()
    )
    # A span of any kind named for the tool that ended well ran it: a Langfuse v2 LangChain trace
    # keeps a tool's run as a span observation named for the tool (kind chain, not tool).
    ran = (
        ctx.spans.lazy()
        .filter((pl.col("kind") != "llm") & ~pl.col("failed") & pl.col("end_time").is_not_null())
        .select("run_key", pl.col("call").alias("call_tool"))
        .drop_nulls()
        .unique()
    )
    done = (
        pl.concat(
            [
                asked.join(handed, on="run_key")
                .filter(_norm(pl.col("call_tool")).str.contains(pl.col("_target"), literal=True) & (pl.col("_target") != ""))
                .select("run_key", "call_tool"),
                asked.join(ran, on=["run_key", "call_tool"], how="semi").select("run_key", "call_tool"),
            ]
        )
        .unique()
        .with_columns(pl.lit(True).alias("succeeded"))
    )
    return asked.join(done, on=["run_key", "call_tool"], how="left").with_columns(pl.col("succeeded").fill_null(False))


def pronoun_candidates(ctx: Context, tools: pl.LazyFrame, answers: pl.LazyFrame) -> pl.LazyFrame | None:
    """Candidate claims with a pronoun or elided object: for each run and each verb of its tools
    (called, or offered to its model: ``runs.declared_tools``) that is not a read (policy
    tools.read_only), when no call of a tool with that verb succeeded in the run."""
    called = tools.filter(pl.col("call_tool").is_not_null()).select(
        "run_key", "call_tool", "succeeded", "span_id", "seq"
    )
    offered = (
        ctx.runs.lazy()
        .select("run_key", pl.col("declared_tools").alias("call_tool"))
        .explode("call_tool")
        .drop_nulls()
    )
    asked = _handed_over(ctx, requested_tools(ctx)).collect().lazy()
    names = (
        pl.concat([called.select("call_tool"), offered.select("call_tool"), asked.select("call_tool")]).unique().collect()
    )
    names = names.filter(~pl.col("call_tool").str.contains(ctx.policy.read_only))
    verbs = [(n, vo[0]) for n in names.get_column("call_tool").to_list() if (vo := tool_verb_object(n)) is not None]
    if not verbs:
        return None
    verb_of = pl.DataFrame({"call_tool": [n for n, _ in verbs], "verb": [v for _, v in verbs]}).lazy()
    keyed = [(v, t) for v in sorted({v for _, v in verbs}) for t in (False, True)]
    patterns = pl.DataFrame(
        {
            "verb": [v for v, _ in keyed],
            "tried_it": [t for _, t in keyed],
            "frag_re": [_fragment(pronoun_claim(v, t)) for v, t in keyed],
            "core_re": [_core(pronoun_claim(v, t)) for v, t in keyed],
        }
    ).lazy()
    never = pl.lit(1 << 39, dtype=pl.Int64)
    per_verb = (
        pl.concat(
            [
                called.join(verb_of, on="call_tool").select(
                    "run_key", "verb", "call_tool", "succeeded",
                    pl.when(~pl.col("succeeded")).then(pl.col("span_id")).alias("failed_id"),
                    pl.col("seq").cast(pl.Int64), pl.lit(True).alias("tried_it"),
                ),
                asked.join(verb_of, on="call_tool").select(
                    "run_key", "verb", "call_tool", "succeeded",
                    pl.lit(None, dtype=pl.String).alias("failed_id"), "seq", pl.lit(True).alias("tried_it"),
                ),
                offered.join(verb_of, on="call_tool").select(
                    "run_key", "verb", "call_tool", pl.lit(False).alias("succeeded"),
                    pl.lit(None, dtype=pl.String).alias("failed_id"), never.alias("seq"), pl.lit(False).alias("tried_it"),
                ),
            ]
        )
        .sort("run_key", "verb", "seq")
        .group_by("run_key", "verb")
        .agg(
            pl.col("succeeded").any().alias("done"),
            pl.col("failed_id").drop_nulls().alias("tried"),
            pl.col("seq").min().alias("order"),
            pl.col("call_tool").first().alias("tool_name"),
            pl.col("tried_it").any(),
        )
        .filter(~pl.col("done"))
    )  # fmt: skip
    # A tool whose act another tool of the run did (claim_acts.done_by_another_tool: send_email
    # failed, GMAIL_SEND_EMAIL sent it) left no act undone.
    undone = done_by_another_tool(tools, per_verb.rename({"tool_name": "call_tool"}).collect())
    return (
        undone.lazy()
        .rename({"call_tool": "tool_name"})
        .join(patterns, on=["verb", "tried_it"])
        .join(answers, on="run_key")
        .select(
            "run_key",
            "run_id",
            "final_output",
            "final_span_id",
            "final_t",
            # After the claims that name an object: they say more about which call is missing.
            (pl.col("order") + (1 << 40) + (1 << 20)).alias("order"),
            pl.concat_str([pl.lit("tool "), pl.col("tool_name")]).alias("action"),
            "tool_name",
            "frag_re",
            "core_re",
            "tried",
        )
    )


def passive_act_candidates(
    ctx: Context, tools: pl.LazyFrame, answers: pl.LazyFrame, failed: pl.DataFrame
) -> pl.LazyFrame | None:
    """Candidate claims of the act a noun-noun tool name ends with, said in the perfect passive
    ("The MSA has been reviewed" after ``compliance_review`` failed), for the tools the run called
    with no call succeeding (and no other tool of the run doing the act: done_by_another_tool).

    Read verb-first, such a name has no verb (``compliance_review`` -> "compliance"), so neither
    the object claim nor the pronoun claim can say its act; its last word is the act (a review, a
    screen, a refund). Only the perfect passive is read, with any subject: "has been reviewed"
    reports the act done whatever it names. A name whose first word is one of the verbs API tools
    are named with (claim_vocabulary.APP_VERBS) has its act read by the other claims; reads
    (policy tools.read_only) claim no act. ``failed``: claims.undone_tools of ``tools``."""
    from forensics.detectors.claim_vocabulary import APP_VERBS, name_words

    failed = failed.filter(~pl.col("call_tool").str.contains(ctx.policy.read_only).fill_null(False))
    acts: dict[str, str] = {}
    for name in failed.get_column("call_tool").unique().to_list():
        parts = tool_verb_object(name)
        words = name_words(name)
        if parts is None or parts[0] in APP_VERBS or not words or len(words[-1]) < 4 or not words[-1].isalpha():
            continue
        past = "|".join(re.escape(p) for p in past_forms(words[-1]))
        acts[name] = rf"(?i)\b(?:has|have|had)\s+been\s+(?:(?:now|already|also|successfully|fully)\s+)?(?:{past})\b"
    if not acts:
        return None
    undone = done_by_another_tool(tools, failed.filter(pl.col("call_tool").is_in(list(acts))))
    return _tool_act_candidates(undone, acts, answers, 1 << 21)


def _tool_act_candidates(undone: pl.DataFrame, acts: dict[str, str], answers: pl.LazyFrame, rank: int) -> pl.LazyFrame:
    """``undone`` (``run_key, call_tool, order, tried``) with each tool's claim regex from ``acts``,
    joined to the run's answers, in ``claims.claim_hits``' columns; ``rank`` orders these claims
    after the object claims'."""
    patterns = pl.DataFrame(
        {
            "call_tool": list(acts),
            "frag_re": [_fragment(c) for c in acts.values()],
            "core_re": [_core(c) for c in acts.values()],
        }
    ).lazy()
    return (
        undone.lazy()
        .join(patterns, on="call_tool")
        .join(answers, on="run_key")
        .select(
            "run_key", "run_id", "final_output", "final_span_id", "final_t",
            (pl.col("order") + (1 << 40) + rank).alias("order"),
            pl.concat_str([pl.lit("tool "), pl.col("call_tool")]).alias("action"),
            pl.col("call_tool").alias("tool_name"), "frag_re", "core_re", "tried",
        )
    )  # fmt: skip


def offered_never_called(ctx: Context, tools: pl.LazyFrame) -> pl.LazyFrame:
    """``run_key, call_tool``: the tools offered to the run's model (``runs.declared_tools``) that it
    never called, reads (tools.read_only) left out."""
    called = tools.select("run_key", "call_tool").drop_nulls().unique()
    return (
        ctx.runs.lazy()
        .select("run_key", pl.col("declared_tools").alias("call_tool"))
        .explode("call_tool")
        .drop_nulls()
        .unique()
        .join(called, on=["run_key", "call_tool"], how="anti")
        .filter(~pl.col("call_tool").str.contains(ctx.policy.read_only))
    )


def offered_act_candidates(
    ctx: Context, tools: pl.LazyFrame, answers: pl.LazyFrame, offered: pl.DataFrame | None = None
) -> pl.LazyFrame | None:
    """Candidate claims, in ``claims.claim_hits``' columns, of the act of a tool offered to the
    run's model (``runs.declared_tools``) and never called, said in the first person with the
    tool's object ("I've voided the invoice INV-2291", ``void_invoice`` offered, only
    ``get_invoice`` called): the agent says it did what only that tool does. The object claim
    (claim_vocabulary.tool_claim) reads the tools the run called; for one never called, only the agent's own
    act is read: "the invoice is voided" may be a state a lookup relayed. Reads (tools.read_only)
    claim no act; another tool of the run that did the act backs it (done_by_another_tool).
    ``offered``: :func:`offered_never_called` of ``tools``, where the caller has it."""
    from forensics.detectors.claim_vocabulary import noun_pattern

    if offered is None:
        offered = offered_never_called(ctx, tools).collect()
    acts: dict[str, str] = {}
    for name in offered.get_column("call_tool").unique().to_list():
        if (parts := tool_verb_object(name)) is None:
            continue
        past = "|".join(re.escape(p).replace(r"\ ", r"\s+") for p in past_forms(parts[0]))
        acts[name] = rf"(?i){_SUBJECT}(?:{past})\s+(?:[A-Za-z0-9_'-]+\s+){{0,3}}?{noun_pattern(parts[1][-1])}(?-u:\b)"
    if not acts:
        return None
    never = offered.filter(pl.col("call_tool").is_in(list(acts))).with_columns(
        pl.lit([], dtype=pl.List(pl.String)).alias("tried"), pl.lit(1 << 39, dtype=pl.Int64).alias("order")
    )
    return _tool_act_candidates(done_by_another_tool(tools, never), acts, answers, 1 << 22)
