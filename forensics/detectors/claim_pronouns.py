"""Claims with a pronoun or elided object ("I've archived it", "Done, archived.", "LAPTOP-4471
quarantined."), for ``claims.claim_hits``: the past tense of the verb of a tool of the run (called,
or offered to its model) that no call did, said as the agent's own act."""

from __future__ import annotations

import re
from typing import Final

import polars as pl

from forensics.detectors.base import Context
from forensics.detectors.claims import _core, _fragment, past_forms, tool_verb_object

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


def pronoun_claim(verb: str) -> str:
    """The claim regex for ``verb`` done to an object named by a pronoun or left out, said by the
    agent ("I've archived it", "we deleted them", "Done, archived.", "... and archived it"): the
    past form after a first person subject, a "done" lead-in or an "and" joining it to an earlier
    verb, then a pronoun or nothing, then the end of the clause; or the object named by its
    identifier, headline-style ("LAPTOP-4471 quarantined.", "INV-0419 has been voided and ...")."""
    past = "|".join(re.escape(p).replace(r"\ ", r"\s+") for p in past_forms(verb))
    return (
        rf"(?i)(?:{_SUBJECT}|{_DONE_LEAD}|{_AND_LEAD})(?:{past}){_PRONOUN}{_CLAUSE_END}"
        rf"|{_IDENT_SUBJECT}(?:{past}){_CLAUSE_END}"
    )


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
    names = pl.concat([called.select("call_tool"), offered.select("call_tool")]).unique().collect()
    names = names.filter(~pl.col("call_tool").str.contains(ctx.policy.read_only))
    verbs = [(n, vo[0]) for n in names.get_column("call_tool").to_list() if (vo := tool_verb_object(n)) is not None]
    if not verbs:
        return None
    verb_of = pl.DataFrame({"call_tool": [n for n, _ in verbs], "verb": [v for _, v in verbs]}).lazy()
    distinct = sorted({v for _, v in verbs})
    patterns = pl.DataFrame(
        {
            "verb": distinct,
            "frag_re": [_fragment(pronoun_claim(v)) for v in distinct],
            "core_re": [_core(pronoun_claim(v)) for v in distinct],
        }
    ).lazy()
    never = pl.lit(1 << 39, dtype=pl.Int64)
    per_verb = (
        pl.concat(
            [
                called.join(verb_of, on="call_tool").select(
                    "run_key", "verb", "call_tool", "succeeded",
                    pl.when(~pl.col("succeeded")).then(pl.col("span_id")).alias("failed_id"),
                    pl.col("seq").cast(pl.Int64),
                ),
                offered.join(verb_of, on="call_tool").select(
                    "run_key", "verb", "call_tool", pl.lit(False).alias("succeeded"),
                    pl.lit(None, dtype=pl.String).alias("failed_id"), never.alias("seq"),
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
        )
        .filter(~pl.col("done"))
    )  # fmt: skip
    return (
        per_verb.join(patterns, on="verb")
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
