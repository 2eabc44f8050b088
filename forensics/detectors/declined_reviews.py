"""A person's recorded answer that declined: an answer (acknowledged), not a review of what follows.

A human-in-the-loop step records the person's decision as its result: Microsoft Agent Framework's
workflow hands the answer to a RequestInfoExecutor request back as a message (agent_framework
_workflows/_executor.py RequestInfoExecutor.handle_response: RequestResponse(data=...)); a blocking
approval returns ``{"approved": false}`` or ``{"decision": "rejected"}``. A person's turn that said no
approved nothing the agent did next (TAXONOMY unguarded_irreversible: "no human approval ... before
it"); it still answered the request (an acknowledgement).
"""

from __future__ import annotations

import polars as pl


def declined_by_person() -> pl.Expr:
    """A span whose own result is a person's decision that is not an approval."""
    from forensics.detectors.preparation import PERSON_APPROVED, PERSON_DECIDED

    out = pl.col("output")
    return (out.str.contains(PERSON_DECIDED) & ~out.str.contains(PERSON_APPROVED)).fill_null(False)
