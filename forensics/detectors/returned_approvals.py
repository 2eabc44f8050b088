"""Actions a named person's approval, returned to the run before them, guarded.

A run that asks for an approval and waits for it gets the decision back as a record naming who
decided (conventions.approval_deciders: ``approved_by``): the result of a blocking
``wait_for_approval`` tool, an application's ``approval.granted`` event. Where the tool span records
no result, the result still reached the model: instrumentations of the older OpenTelemetry GenAI
conventions put the conversation on the next chat span (``gen_ai.prompt.{i}.role`` ``tool`` and its
``content``: opentelemetry-instrumentation-openai ``_set_prompts``), and frameworks whose own tool
span carries no output (autogen-core's ``execute_tool`` span: autogen_core/_telemetry
``trace_tool_span`` sets the tool's name, description and call id, no result) leave it only there:
that prompt's text is the tool's answer. A record that is not approved (pending, expired, rejected)
or names no decider guards nothing, nor does one the acting agent granted itself: a call of its own
named for granting (``approve_change_request``), or a decider that is the acting agent.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.detectors.base import Context

_EMPTY: Final = {"run_id": pl.String, "span_id": pl.String}
#: A call that grants an approval (``approve_change_request``, ``changes.approve``,
#: ``grant_access_approval``): the caller deciding, not a person's answer to it.
GRANTS: Final = r"(?i)(?:^|[._-])(?:approve|grant|authori[sz]e)(?:[._-]|$)"


def _from_next_prompt(s: pl.LazyFrame) -> pl.LazyFrame:
    """``run_id, a_seq, approved_by`` of the approval tools whose span holds no result, read from
    the prompt of the run's next model call (the tool's answer handed back to the model)."""
    from forensics.conventions.approval_deciders import decider_in
    from forensics.detectors.unguarded_action import APPROVAL_REQUEST

    waits = (
        s.filter((pl.col("kind") == "tool") & ~pl.col("failed") & pl.col("output").is_null())
        .filter(pl.col("call").str.contains(APPROVAL_REQUEST).fill_null(False))
        .select("run_id", pl.col("seq").alias("a_seq"), pl.col("agent").fill_null("").alias("a_agent"))
        .collect()
    )
    if waits.height == 0:
        return pl.LazyFrame(schema={"run_id": pl.String, "a_seq": pl.Int64, "approved_by": pl.String})
    prompts = (
        s.filter((pl.col("kind") == "llm") & pl.col("args").is_not_null())
        .join(waits.lazy().select("run_id").unique(), on="run_id", how="semi")
        .select("run_id", pl.col("seq").alias("p_seq"), pl.col("agent").fill_null("").alias("a_agent"), "args")
        .sort("p_seq")
        .collect()
    )
    nxt = waits.sort("a_seq").join_asof(
        prompts, left_on="a_seq", right_on="p_seq", by=["run_id", "a_agent"], strategy="forward", check_sortedness=False
    )
    return nxt.lazy().select("run_id", pl.col("a_seq").cast(pl.Int64), decider_in(pl.col("args")).alias("approved_by"))


def returned_approval(ctx: Context, acts: pl.LazyFrame) -> pl.LazyFrame:
    """``run_id, span_id`` of the ``acts`` (``run_id, span_id, seq, agent``) a named person's approval
    returned earlier in their run guarded: a span's own record (``approved_by``), or an approval
    tool's answer read from the next prompt, that is no call granting it and names a decider other
    than the acting agent."""
    calls = acts.select("run_id", "span_id", "seq", "agent").collect()
    if calls.height == 0:
        return pl.LazyFrame(schema=_EMPTY)
    s = ctx.spans.lazy().join(calls.lazy().select("run_id").unique(), on="run_id", how="semi")
    own = s.filter(
        pl.col("approved_by").is_not_null() & ~pl.col("failed") & ~pl.col("call").str.contains(GRANTS).fill_null(False)
    ).select("run_id", pl.col("seq").cast(pl.Int64).alias("a_seq"), "approved_by")
    given = pl.concat([own, _from_next_prompt(s)]).filter(pl.col("approved_by").str.len_chars() > 0).collect()
    if given.height == 0:
        return pl.LazyFrame(schema=_EMPTY)
    return (
        calls.join(given, on="run_id")
        .filter(pl.col("a_seq") < pl.col("seq"))
        .filter(pl.col("approved_by").str.to_lowercase() != pl.col("agent").fill_null("").str.to_lowercase())
        .select("run_id", "span_id")
        .unique()
        .lazy()
    )
