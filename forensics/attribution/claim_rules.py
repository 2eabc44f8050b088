"""``claimed_access``: an agent says, in its own first person, that it has retrieved, accessed or
located something outside the conversation, in a run where no tool had yet returned anything.

In an AG2 group chat built by AgentBuilder / CaptainAgent, an expert reaches the world only
through the code it writes: "Suggest python code (in a python coding block) or shell script ... for
the Computer_terminal to execute", "All your reply should be based on the provided facts"
(AgentBuilder.CODING_AND_TASK_SKILL_INSTRUCTION, autogen agentchat/contrib/agent_builder.py), and
every run appears in the chat as the terminal's "exitcode: N (...)" reply. A message that holds no
code and reports a retrieval ("I have successfully retrieved the article ...", "I have located the
trial on the NIH website") while no tool call had succeeded and no page had been viewed in the run
invents what it reports: the claim is the decisive step (the team built on it). A claim after a
successful tool call or page view may be reporting it, so it is left alone; so is a plan or an
offer ("I will retrieve", "once we have located"), which claims nothing done.
"""

from __future__ import annotations

import polars as pl

from forensics.attribution.common import _CLAIMED_ACCESS, _pick


def _claimed_access(s: pl.DataFrame) -> pl.DataFrame:
    fetched = (
        pl.col("is_tool") & ~pl.col("failed") & (pl.col("input").fill_null("").str.strip_chars() != "")
    ) | pl.col("observation")
    # Whether any tool had returned something (or a page been viewed) before each step of its run.
    s = s.sort("run_id", "step").with_columns(
        _backed=fetched.cast(pl.Int32).cum_sum().shift(1, fill_value=0).over("_rk") > 0
    )
    claims = (
        s.filter(
            (pl.col("step") > 0)
            & pl.col("worker")
            & ~pl.col("is_tool")
            & ~pl.col("has_code")
            & ~pl.col("observation")
            & ~pl.col("_backed")
        )
        .with_columns(_said=pl.col("output").fill_null("").str.extract(_CLAIMED_ACCESS, 0))
        .filter(pl.col("_said").is_not_null())
        .unique("run_id", keep="first", maintain_order=True)
    )
    return _pick(
        claims.with_columns(
            decisive_agent=pl.col("agent"),
            decisive_step=pl.col("step"),
            attribution_evidence=pl.format(
                "step {}: {} says \"{}\" with no code in its message, while no tool call had returned anything in the run",
                pl.col("step"),
                pl.col("agent"),
                pl.col("_said"),
            ),
        ),
        "claimed_access",
        3,
    )

