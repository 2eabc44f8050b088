"""A person's click on a confirm button, returned by the step that waited for it: an approval.

An application that asks a person in Slack posts a message with interactive buttons (Block Kit
``actions`` with ``confirm_*`` / ``deny_*`` action ids) and blocks until the click comes back;
Slack delivers the click as a ``block_actions`` payload naming the person (``user: {id,
username}``) and the button (``actions[].action_id``) (TotoroSyd/heybot ``payload.py``, a button
click's payload; api.slack.com reference, interaction payloads, block_actions). A wait step
(named for awaiting a confirmation or approval: ``await_user_confirmation``, ``wait_for_approval``)
whose own result is such a click on a confirming button, by a named user, is the person's approval
of what the run does after it ended: an Amazon Bedrock agent's return of control with
``USER_CONFIRMATION`` answered ``CONFIRM`` once the person clicked (the app sends the
``confirmationState`` itself; only the click shows a person decided). A click on a denying or
cancelling button, or a wait that returned no person's click, approved nothing.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.detectors.base import Context

_EMPTY: Final = {"run_id": pl.String, "span_id": pl.String}
_Q: Final = r'\\?"'
#: The clicked button's id says it confirms (confirm_terminate, approve, allow_deploy, proceed, yes).
CONFIRMING_CLICK: Final = rf"(?i){_Q}action_id{_Q}\s*:\s*{_Q}[^\"\\]*(?:confirm|approv|allow|proceed|accept|yes)[^\"\\]*{_Q}"
#: ... or refuses (deny_terminate, cancel, reject, decline, abort).
DENYING_CLICK: Final = rf"(?i){_Q}action_id{_Q}\s*:\s*{_Q}[^\"\\]*(?:deny|denied|cancel|reject|declin|abort|refus)[^\"\\]*{_Q}"
#: The person who clicked: Slack's ``user`` object with its id or username.
CLICKER: Final = rf"{_Q}user{_Q}\s*:\s*\{{[^{{}}]*{_Q}(?:id|username|name){_Q}\s*:\s*{_Q}[^\"\\]+{_Q}"


def clicked_approvals(ctx: Context, acts: pl.LazyFrame) -> pl.LazyFrame:
    """``run_id, span_id`` of the calls (``acts``: ``run_id, span_id, seq, t``) after a wait step of
    their run, ended before they started, that returned a person's click on a confirming button."""
    from forensics.detectors.unguarded_action import APPROVAL_REQUEST

    calls = acts.select("run_id", "span_id", "seq", "t").collect()
    if calls.height == 0:
        return pl.LazyFrame(schema=_EMPTY)
    out = pl.col("output")
    clicks = (
        ctx.spans.lazy()
        .filter(pl.col("run_id").is_in(calls.get_column("run_id").unique().implode()) & ~pl.col("failed"))
        .filter(out.str.contains("action_id", literal=True).fill_null(False))
        .filter(
            pl.col("call").str.contains(APPROVAL_REQUEST).fill_null(False)
            & out.str.contains(CONFIRMING_CLICK)
            & ~out.str.contains(DENYING_CLICK)
            & out.str.contains(CLICKER)
        )
        .select("run_id", pl.col("seq").alias("c_seq"), pl.col("end_time").alias("c_end"))
        .collect()
    )
    after = (pl.col("c_end") <= pl.col("t")).fill_null(pl.col("c_seq") < pl.col("seq"))
    return calls.join(clicks, on="run_id").filter(after).select("run_id", "span_id").unique().lazy()
