"""A read that failed, and an act the run then did without what it was to read.

The agent reads before it acts ("always check live availability before booking"): a stock level
before a purchase order, a bed board before a transfer. When the read fails (an open circuit
breaker, a DNS failure) and nothing gets the data another way, the act that follows is made on a
guess. The framework's hand-back of the error to the model (the OpenAI Agents SDK's
``failure_error_function`` text, smolagents' tool error in the step's observation) is its path only
while the model acts on the error; a word of it ("inventory could not be read, so I used the usual
quantities") tells, it does not handle. TAXONOMY unhandled_error: no retry, no fallback, no
escalation, "the run just carries on". What is read here:

- the failure: a tool call whose name says it reads (policy ``tools.read_only``: get, fetch,
  lookup ...), not side-effecting, failed, and no retry or fallback made it good
  (``failure_followups``: ``recovered``), nothing escalated it;
- the act: a later side-effecting tool call (policy ``tools.side_effecting``) of the same agent that
  succeeded, sent once the error had come back, not an escalation and not one whose arguments pass
  the fault on (a ticket saying the service failed);
- that the act needed the read: it is the agent's next tool call after the error came back, or its
  arguments carry a value of the failed read's (the SKU and warehouse whose stock was to be read);
- the data not got another way before the act: no successful read between them by another tool
  named for the same thing (a name word shared beyond the read verbs: ``get_inventory_snapshot``
  after ``get_inventory_levels``, ``inventory_cache_get_stock`` after ``inventory_get_stock``).
"""

from __future__ import annotations

import re

import polars as pl

from forensics.detectors.base import Context, failure_followups
from forensics.detectors.claim_vocabulary import name_words
from forensics.detectors.handling import TELLS_OF_FAULT_IN_ARGUMENTS
from forensics.detectors.ignored_errors import ANSWER_TOOLS

#: A string value in tool arguments as the span table holds them (whitespace taken out): a quoted
#: string of three or more characters that is no key (followed by ``,``, ``}`` or ``]``).
_VALUE = r'"([^"]{3,})"[,}\]]'


def acted_without_read(ctx: Context) -> pl.LazyFrame:
    """``run_id, span_id, acted_span_id``: the failed reads (module docs) the run went on past into
    an act that needed them, and that act. Built once per classification."""
    return ctx.once("acted_without_read", lambda: _acted(ctx).collect()).lazy()


def _acted(ctx: Context) -> pl.LazyFrame:
    s = ctx.spans.lazy()
    tools = s.filter((pl.col("kind") == "tool") & pl.col("call_tool").is_not_null())
    follow = failure_followups(ctx).lazy().select("run_id", "span_id", "recovered", "escalated")
    reads = (
        tools.filter(
            pl.col("failed")
            & ~pl.col("is_side_effect").fill_null(False)
            & pl.col("call_tool").str.contains(ctx.policy.read_only).fill_null(False)
        )
        .join(follow, on=["run_id", "span_id"])
        .filter(~pl.col("recovered") & ~pl.col("escalated"))
        .select(
            "run_id", "span_id", "seq", "agent", "call_tool", pl.coalesce("end_time", "t").alias("_end"),
            _values("args").alias("_values"),
        )  # fmt: skip
        .collect()
    )
    if reads.height == 0:
        return pl.LazyFrame(schema={"run_id": pl.String, "span_id": pl.String, "acted_span_id": pl.String})
    later = (
        tools.join(reads.lazy().select("run_id").unique(), on="run_id", how="semi")
        .filter(~pl.col("call_tool").is_in(ANSWER_TOOLS))
        .select(
            "run_id",
            pl.col("span_id").alias("_l_id"),
            pl.col("seq").alias("_l_seq"),
            pl.col("t").alias("_l_t"),
            pl.col("agent").alias("_l_agent"),
            pl.col("call_tool").alias("_l_tool"),
            pl.col("succeeded").alias("_l_ok"),
            (
                pl.col("is_side_effect").fill_null(False)
                & ~pl.col("is_escalation").fill_null(False)
                & ~pl.col("args").str.replace_all(r'"[^"]*"\s*:', " ").str.contains(TELLS_OF_FAULT_IN_ARGUMENTS).fill_null(False)
            ).alias("_l_act"),
            pl.col("args").alias("_l_args"),
        )
        .collect()
    )
    # Sent once the error had come back, by the agent it came back to (a call of the same parallel
    # batch was issued with the failed one, not in answer to it).
    pairs = reads.join(later, on="run_id").filter(
        (pl.col("_l_seq") > pl.col("seq"))
        & (pl.col("_l_t") >= pl.col("_end")).fill_null(True)
        & pl.col("_l_agent").eq_missing(pl.col("agent"))
    )
    # The same thing read another way: a successful call of another tool named for it.
    names = pairs.filter(pl.col("_l_ok") & ~pl.col("_l_act")).select("call_tool", "_l_tool").unique()
    same_thing = [(a, b) for a, b in names.iter_rows() if a != b and _read_words(a, ctx.policy.read_only) & _read_words(b, ctx.policy.read_only)]
    other_way = pl.DataFrame(same_thing, schema={"call_tool": pl.String, "_l_tool": pl.String}, orient="row").with_columns(
        pl.lit(True).alias("_other_way")
    )
    pairs = pairs.join(other_way, on=["call_tool", "_l_tool"], how="left").with_columns(
        pl.col("_other_way").fill_null(False) & pl.col("_l_ok"),
        pl.col("_l_seq").rank("ordinal").over("run_id", "span_id").alias("_nth"),
    )
    # A value of the read's arguments in the act's (the SKU whose stock was to be read).
    shares = pl.col("_values").list.set_intersection(_values("_l_args")).list.len() > 0
    acts = pairs.filter(pl.col("_l_act") & pl.col("_l_ok") & ((pl.col("_nth") == 1) | shares.fill_null(False)))
    firsts_other = pairs.filter(pl.col("_other_way")).group_by("run_id", "span_id").agg(pl.col("_l_seq").min().alias("_other_seq"))
    return (
        acts.join(firsts_other, on=["run_id", "span_id"], how="left")
        .filter(~(pl.col("_other_seq") < pl.col("_l_seq")).fill_null(False))
        .sort("run_id", "span_id", "_l_seq")
        .group_by("run_id", "span_id")
        .agg(pl.col("_l_id").first().alias("acted_span_id"))
        .lazy()
    )


def _read_words(name: str, read_only: str) -> set[str]:
    """The words of a tool name that say what it reads (not how: the read verbs of tools.read_only)."""
    return {w for w in name_words(name) if not re.search(read_only, w) and len(w) > 2}


def _values(args: str) -> pl.Expr:
    """The string values (:data:`_VALUE`) of the ``args`` column, without their quotes."""
    return pl.col(args).str.extract_all(_VALUE).list.eval(pl.element().str.extract(r'"([^"]+)"', 1))
