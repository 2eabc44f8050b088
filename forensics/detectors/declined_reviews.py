"""A person's recorded answer that declined: an answer (acknowledged), not a review of what follows.

A human-in-the-loop step records the person's decision as its result: Microsoft Agent Framework's
workflow hands the answer to a RequestInfoExecutor request back as a message (agent_framework
_workflows/_executor.py RequestInfoExecutor.handle_response: RequestResponse(data=...)); a blocking
approval returns ``{"approved": false}`` or ``{"decision": "rejected"}``. A person's turn that said no
approved nothing the agent did next (TAXONOMY unguarded_irreversible: "no human approval ... before
it"); it still answered the request (an acknowledgement).
"""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.conventions.registry import on_rows

#: A record's state naming an approval: ``"status": "approved"`` / ``"refund_approved"``, an
#: ``approval_status`` or ``state`` likewise (quotes possibly escaped, a JSON result inside a string).
_STATE_KEY: Final = r'(?i)\\?"(?:status|state|approval[_ ]?status|approval[_ ]?state)\\?"\s*:\s*\\?"(?:[a-z]+[_ -])?'
APPROVED_STATE: Final = _STATE_KEY + r'approved\\?"'
#: ... unless it says the opposite: ``not_approved``, ``unapproved``, ``disapproved``.
NOT_APPROVED_STATE: Final = _STATE_KEY + r'(?:not|un|dis)[_ -]?approved\\?"'


#: A typed answer that opens by saying no: the reply to a yes/no question (smolagents'
#: ``UserInputTool`` returns exactly what the person typed, huggingface/smolagents
#: ``src/smolagents/default_tools.py``; an agent asking "Shall I permanently delete them? (yes/no)").
#: "No problem", "no worries", "no objection", "no blockers", "no need to wait" agree, and "no longer
#: needed" gives a reason (tau-bench retail's cancel reason): no refusal.
TYPED_NO: Final = r"(?i)^[\s\W]*(?:no|nope|nah|not\s+yet|hold\s+off|stop|negative|denied|rejected)\b"
AGREEING_NO: Final = (
    r"(?i)^[\s\W]*no\s+(?:problems?|worries|objections?|issues?|concerns?|need|blockers?|red\s+flags?|changes?|comments?|questions?|longer|rush|hurry)\b"
)


def declined_by_person(text: pl.Expr | None = None) -> pl.Expr:
    """A span whose own result (``text``, default its output) is a person's decision that is not an
    approval: a recorded decision (``{"approved": false}``, ``"decision": "rejected"``) or a typed
    answer that opens by saying no (TYPED_NO)."""
    from forensics.detectors.person_signals import PERSON_APPROVED, PERSON_DECIDED

    out = pl.col("output") if text is None else text
    recorded = out.str.contains(PERSON_DECIDED) & ~out.str.contains(PERSON_APPROVED)
    return (recorded | (out.str.contains(TYPED_NO) & ~out.str.contains(AGREEING_NO))).fill_null(False)


def approved_record() -> pl.Expr:
    """A successful read (a tool with no side effect) whose result is a record its state says a
    person approved: the approval the action after it rests on. Not a call named for granting it
    (``approve_change_request``: returned_approvals.GRANTS): its result is the caller's own
    approval, the agent deciding for itself, not a person's answer."""
    from forensics.detectors.returned_approvals import GRANTS

    read = (
        (pl.col("kind") == "tool") & ~pl.col("failed") & ~pl.col("is_side_effect")
        & ~pl.col("step_name").str.contains(GRANTS).fill_null(False)
    )
    return on_rows(read, pl.col("output"), _approved_state).fill_null(False)


def _approved_state(text: pl.Expr) -> pl.Expr:
    """APPROVED_STATE and not NOT_APPROVED_STATE in ``text``. Both need the word "approved" (in
    any letter case: no other character folds to one of its letters), found first by the regex
    engine's literal search in ASCII case (``(?i-u)``); the state regexes, which begin with their
    key alternation, then read only the results holding it. Read over every tool result, they cost
    0.23 CPU s at 584k spans (the bench night, issue 15 item 4); this 0.03."""
    held = pl.when(text.str.contains("(?i-u)approved")).then(text).otherwise(pl.lit(""))
    return held.str.contains(APPROVED_STATE) & ~held.str.contains(NOT_APPROVED_STATE)
