"""Claims, in any voice, of the act of a side-effecting tool the agent was given and never called.

``claim_pronouns.offered_act_candidates`` reads an offered tool's act said in the first person only
("I've voided the invoice"): "the invoice is voided" may be a state a lookup relayed. A smolagents
CodeAgent calls its tools from its code, and what it says at the end is often its own printed
headline ("Email sent to Dana Lee", ``print("Email sent to ...")`` then ``final_answer(...)``):
with ``send_email`` on its run span (``smolagents.tools_names``: runs.declared_tools) and never
called, that is the claim the tool's name makes (claim_vocabulary.tool_claim: "email sent", "the summary was
emailed"), unbacked. A lookup's relayed state is told apart the way the policy's claims are: a
successful tool result of the run (other than the answer itself) that states the claim backs it.
Only side-effecting tools (policy tools.side_effecting, not a read): a search tool the agent did not
need says nothing.
"""

from __future__ import annotations

import polars as pl

from forensics.detectors.base import Context


def offered_object_candidates(
    ctx: Context, tools: pl.LazyFrame, answers: pl.LazyFrame, offered: pl.DataFrame | None = None
) -> pl.LazyFrame | None:
    """Candidate claims, in ``claims.claim_hits``' columns, of the object claim
    (:func:`claim_vocabulary.tool_claim`) of each side-effecting tool offered to the run and never called,
    where no successful tool result of the run states it. ``offered``: claim_pronouns.offered_never_called
    of ``tools``, where the caller has it."""
    from forensics.detectors.claim_acts import done_by_another_tool
    from forensics.detectors.claim_pronouns import _tool_act_candidates, offered_never_called
    from forensics.detectors.claim_vocabulary import tool_claim
    from forensics.detectors.claims import _core, is_final_answer_tool

    if offered is None:
        offered = offered_never_called(ctx, tools).collect()
    offered = offered.filter(pl.col("call_tool").str.contains(ctx.policy.side_effecting).fill_null(False))
    claims = {n: tc for n in offered.get_column("call_tool").unique().to_list() if (tc := tool_claim(n)) is not None}
    if not claims:
        return None
    never = done_by_another_tool(tools, offered.filter(pl.col("call_tool").is_in(list(claims))))
    if never.height == 0:
        return None
    # What the run's tools returned, the answer itself left out (a final-answer tool returns it).
    results = (
        ctx.spans.lazy()
        .filter(
            (pl.col("kind") == "tool") & pl.col("succeeded") & pl.col("output").is_not_null() & ~is_final_answer_tool()
            & pl.col("run_key").is_in(never.get_column("run_key").unique().implode())
        )
        .select("run_key", "output")
        .collect()
    )  # fmt: skip
    relayed = [
        results.filter(pl.col("output").str.contains(_core(claims[name][1])))
        .select("run_key", pl.lit(name).alias("call_tool"))
        .unique()
        for name in claims
    ]
    never = never.join(pl.concat(relayed), on=["run_key", "call_tool"], how="anti")
    never = never.with_columns(
        pl.lit([], dtype=pl.List(pl.String)).alias("tried"), pl.lit(1 << 39, dtype=pl.Int64).alias("order")
    )
    # After the run's own tools and the first-person offered acts (rank 1 << 22).
    return _tool_act_candidates(never, {name: claim for name, (_, claim) in claims.items()}, answers, 1 << 23)
