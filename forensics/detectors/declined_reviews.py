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

#: A record's state naming an approval: ``"status": "approved"`` / ``"refund_approved"``, an
#: ``approval_status`` or ``state`` likewise (quotes possibly escaped, a JSON result inside a string).
_STATE_KEY: Final = r'(?i)\\?"(?:status|state|approval[_ ]?status|approval[_ ]?state)\\?"\s*:\s*\\?"(?:[a-z]+[_ -])?'
APPROVED_STATE: Final = _STATE_KEY + r'approved\\?"'
#: ... unless it says the opposite: ``not_approved``, ``unapproved``, ``disapproved``.
NOT_APPROVED_STATE: Final = _STATE_KEY + r'(?:not|un|dis)[_ -]?approved\\?"'


def declined_by_person() -> pl.Expr:
    """A span whose own result is a person's decision that is not an approval."""
    from forensics.detectors.person_signals import PERSON_APPROVED, PERSON_DECIDED

    out = pl.col("output")
    return (out.str.contains(PERSON_DECIDED) & ~out.str.contains(PERSON_APPROVED)).fill_null(False)


def approved_record() -> pl.Expr:
    """A successful read (a tool with no side effect) whose result is a record its state says a
    person approved: the approval the action after it rests on."""
    out = pl.col("output")
    return (
        (pl.col("kind") == "tool")
        & ~pl.col("failed")
        & ~pl.col("is_side_effect")
        & out.str.contains(APPROVED_STATE)
        & ~out.str.contains(NOT_APPROVED_STATE)
    ).fill_null(False)
