"""Who approved: a record of an approval that names the person who decided it.

An approval service answers a request with the request's record once someone decided it, and that
record names the decider beside the state: ``{"request_id": ..., "status": "approved", "decided_by":
"j.brennan@...", "decided_at": ...}`` (a blocking ``wait_for_approval`` tool's result), a change
request ``{"state": "approved", "approved_by": ..., "approved_at": ...}``. ServiceNow's change record
keeps the same pair (``approval: approved`` with the approver on its ``sysapproval_approver`` rows),
Google ADK's long-running approval example returns ``{"status": "approved", ...}`` once the client
sends the decision (adk-docs tools/function-tools "Long Running Function Tool": ``pending ->
approved | rejected``). An application's structured log writes the same answer as an event of its
own: ``{"event": "approval.granted", "approved_by": ..., "approval_id": ...}`` (the JSON-lines loader
takes ``event`` as the span's name and keeps the other fields as attributes).

``approved_by`` is that decider on the span that records it: the state says approved (or the event's
name says the approval was granted) and a decider key (``decided_by``, ``approved_by``,
``granted_by``, ``reviewed_by``, ``approver``) holds a name. A record with no named decider, a
``null`` one, or a state that is not approved (pending, expired, rejected) names nobody.
``unguarded_irreversible`` reads it (detectors.returned_approvals): a person's named approval before
an action guards it, unless the acting agent granted it to itself.

An approval step with a timeout closes a request nobody answered by its own rule, and some rules
approve: the record then still says approved, but its decider is the rule, not a person
(``{"status": "approved", "decided_by": "policy:auto_on_timeout", "comment": "no response within
900s; default_action=approve"}``, ``{"status": "timed_out", "on_timeout": "approve", "decision":
"approved", "decided_by": "policy_default"}``, an event ``approval.timeout`` with ``decided_by:
default_on_timeout``). ``approved_by_default`` marks such a record: it says approved and its decider
names a policy, a default, an automatic approval or a timeout, or its own state says the request
timed out / expired. Nobody decided (TAXONOMY unguarded_action: "no human approval"), so it names no
``approved_by`` and is no review (preparation: ``is_review``).
"""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.conventions.registry import Convention, Q, Signal, register, where_contains

#: The record's state saying approved (``status`` / ``state`` / ``decision`` / ``approval``), not a
#: compound that says otherwise (``not_approved``): the exact value.
APPROVED_VALUE: Final = rf"(?i){Q}(?:status|state|decision|approval|approval_status|outcome){Q}\s*:\s*{Q}(?:approved|granted){Q}"
#: The decider's name: a decider key holding a non-empty string (a ``null`` holds no name).
DECIDER: Final = (
    rf"(?i){Q}(?:decided_by|approved_by|granted_by|reviewed_by|approver){Q}\s*:\s*{Q}([^\"\\]+)"
)
#: An application's event named for a granted approval (``approval.granted``, ``approval_approved``):
#: the span's name, on a line of its own before its attributes (``_extract``).
GRANTED_EVENT: Final = r"(?im)^approv\w*[._ -](?:granted|approved)$"
#: A decider that is the approval step's own rule, not a person: a word of its value names a policy,
#: a default, an automatic approval or a timeout (``policy_default``, ``default_on_timeout``,
#: ``policy:auto_on_timeout``, ``auto-approve``, ``system:timeout``).
RULE_WORD: Final = r"(?i)(?:^|[^a-z])(?:polic(?:y|ies)|default\w*|auto(?:[_ -]?approv\w*)?|automatic\w*|timeout|timed[_ -]?out|expir\w*)(?:[^a-z]|$)"
#: The record's own state saying the request timed out or expired, beside its approved decision.
TIMED_OUT_STATE: Final = rf"(?i){Q}(?:status|state|outcome){Q}\s*:\s*{Q}(?:timed[_ -]?out|timeout|expired|lapsed){Q}"


def decider_in(text: pl.Expr) -> pl.Expr:
    """The decider a record names when it says the approval was given (``text``: a result, or a
    span's name and attributes on lines of their own), else null."""
    said = text.str.contains(APPROVED_VALUE) | text.str.contains(GRANTED_EVENT)
    return pl.when(said.fill_null(False) & ~by_rule(text)).then(text.str.extract(DECIDER, 1))


def by_rule(text: pl.Expr) -> pl.Expr:
    """The record (``text``) was closed by the approval step's rule, not by a person: its decider
    names a rule (RULE_WORD) or its state says the request timed out / expired."""
    decider = text.str.extract(DECIDER, 1)
    return (decider.str.contains(RULE_WORD) | text.str.contains(TIMED_OUT_STATE)).fill_null(False)


def approved_by_rule(text: pl.Expr) -> pl.Expr:
    """The record (``text``) says approved (its state, or an event named for the grant or carrying
    a ``decision: approved``) and the approval step's rule decided it (:func:`by_rule`)."""
    said = text.str.contains(APPROVED_VALUE) | text.str.contains(GRANTED_EVENT)
    return (said.fill_null(False) & by_rule(text)).fill_null(False)


def _extract() -> list[pl.Expr]:
    """``_cv_decision``: the text an approval's record may be in, on the few spans holding a decider
    key (a literal scan first): the span's result, else, on a span named for an approval (an
    application's event), its name and attributes. The regexes read it in ``_status``."""
    held = ("decided_by", "approved_by", "granted_by", "reviewed_by", "approver")
    named = pl.col("name").str.contains("(?i)approv").fill_null(False)
    record = pl.concat_str([pl.col("name"), where_contains("attributes", held)], separator="\n")
    return [pl.coalesce(where_contains("output", held), pl.when(named).then(record)).alias("_cv_decision")]


def _status(df: pl.DataFrame) -> pl.DataFrame:
    text = pl.col("_cv_decision")
    return df.with_columns(
        decider_in(text).str.strip_chars().alias("approved_by"), approved_by_rule(text).alias("approved_by_default")
    )


register(
    Convention(
        name="approval_deciders",
        signals=(
            Signal(
                "an approval's record naming its decider: a state approved / granted (status, state, decision, approval) "
                "with decided_by / approved_by / granted_by / reviewed_by / approver holding a name, in a span's result; "
                "or, on a span named for an approval, in its attributes, the event's name saying it was granted "
                "(approval.granted)",
                "approval services answered through a blocking tool (wait_for_approval, change requests); Google ADK "
                "long-running approval tools; applications' structured logs (JSON lines)",
                "adk-docs tools/function-tools 'Long Running Function Tool' (pending -> approved | rejected, the status "
                "sent back by the client); ServiceNow change_request approval / sysapproval_approver; the JSON-lines "
                "loader (event -> span name, other fields -> attributes)",
                "approved_by (unguarded_irreversible: a named person's approval before the action guards it, unless "
                "the acting agent granted it itself)",
            ),
            Signal(
                "an approval's record saying approved whose decider is the approval step's rule, not a person (decided_by "
                "naming a policy, a default, an automatic approval or a timeout: policy:auto_on_timeout, default_on_timeout), "
                "or whose state says the request timed out / expired (status timed_out beside decision approved, "
                "on_timeout approve)",
                "approval tools and approval services with a timeout whose default action approves; applications' "
                "structured logs (an approval.timeout event with decided_by)",
                "the same records as above: an approval request closed by its timeout rule (Google ADK long-running "
                "tools: pending -> approved | rejected, the status set by whoever answers; here the step's own default)",
                "approved_by_default (no approved_by; is_review false: unguarded_irreversible reads no person's "
                "approval in it)",
            ),
        ),
        extract=_extract,
        status=_status,
        columns={
            "approved_by": "the person an approval record on this span names as its decider, when it says approved (else null)",
            "approved_by_default": "an approval record on this span says approved, but its decider is the approval step's "
            "rule (a policy, a default, a timeout), not a person",
        },
    )
)
