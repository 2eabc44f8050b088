"""A ticket an escalation opened, reported taken by a later call of the run.

An escalation that files a ticket is owned once someone holds the ticket. Its own result may say
so (``TICKET_ASSIGNED``); so may a later read of the same ticket in the run (the agent
checking on it, a webhook's payload): Jira's issue ``assignee`` set or its status category "In
Progress" / "Done", Zendesk's ``assignee_id`` ("the agent currently assigned to the ticket") or its
status ``solved`` / ``closed``, ServiceNow's ``assigned_to`` or state "In Progress" / "Resolved" /
"Closed". The later call must name the ticket in its arguments (the identifier the escalation's
result returned), so a read of another ticket says nothing about this one; a status that is only
new or open (filed, nobody on it) is no acknowledgement.

Or a person's turn after it naming the reference the escalation returned, which nobody had shown
the requester: the receiving side taking the case up (:func:`answered_by_reference`).
"""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.conventions.registry import Q

#: A key's or value's quote as JSON writes it (maybe escaped) or as a Python dict's repr writes it:
#: the OpenAI Agents SDK exports a function span's output as ``str(output)`` (openai-agents-python
#: src/agents/tracing/span_data.py ``FunctionSpanData.export``), so a ticket a tool returned as a
#: dict is recorded ``{'case_id': 'CS-4472518', 'assignee': None}``.
PQ: Final = r"""\\?["']"""

#: A ticket that came back with its owner named: the ticketing systems' own field for who holds a
#: ticket (Jira issue ``assignee``; Zendesk Tickets API ``assignee_id``, "the agent currently
#: assigned to the ticket"; ServiceNow ``assigned_to``), set to someone (a name, an id, an object),
#: not null or empty. Someone owns the ticket: nobody-picks-up is not its story. Only for a ticket:
#: a page (an incident a tool opened: incident_state) is assigned to on-call when it triggers and
#: is taken only when acknowledged (PagerDuty incident ``status``), so an assignment there is none.
#: Quoted as JSON or as a Python dict's repr (``PQ``: the OpenAI Agents SDK exports a
#: function span's output as ``str(output)``, so a tool that returned a dict reads
#: ``{'assignee': 'Ines Moreau'}``); ``None`` and an empty string are nobody.
TICKET_ASSIGNED: Final = (
    rf"(?i){PQ}(?:assignee|assignee_?id|assigneeId|assigned_?to|assignedTo){PQ}\s*:\s*"
    rf"""(?:{PQ}[^"'\\\s]|[0-9]|\{{)"""
)
#: The identifier a ticketing API returns for what it created (Jira ``key`` / ``id``, Zendesk
#: ``id``, ServiceNow ``number`` / ``sys_id``, a generic ``ticket_id``, a work queue's ``task_id`` or
#: ``case_id``, an approval service's ``approval_id`` or ``request_id``: a pending approval request is
#: known by the id it was registered under and decided by it, as ADK for Elixir's
#: ``ADK.Tool.Approval.register/2`` returns ``{request_id, request}`` that ``approve(request_id)`` /
#: ``deny(request_id, reason)`` resolve, hexdocs.pm/adk ADK.Tool.Approval).
_TICKET_ID: Final = (
    rf"(?i){PQ}(?:id|key|(?:ticket|task|case|approval|request)_?id|(?:ticket|task|case|approval|request)Id|number|sys_id){PQ}"
    rf"\s*:\s*{PQ}?([A-Za-z0-9][A-Za-z0-9_-]{{1,63}})"
)
#: A ticket someone works on or has finished (Jira status category, Zendesk and ServiceNow states),
#: or acknowledged (a case a specialist took); a request for a decision someone decided (an approval
#: service's status approved / rejected / denied: a person answered it).
_WORKED: Final = (
    rf"(?i){PQ}(?:status|state|name|statusCategory){PQ}\s*:\s*{PQ}"
    r"(?:in[ _-]?progress|solved|resolved|closed|done|acknowledged|approved|rejected|denied)\b"
)

#: A record whose owner is left empty: null (JSON), None (a Python repr) or an empty string. Whatever
#: its status says, nobody holds it: a ServiceNow incident auto-closed on an SLA breach with
#: ``assigned_to`` empty was closed by a rule, not worked.
NO_OWNER: Final = rf"(?i){Q}(?:assignee|assignee_?id|assigneeId|assigned_?to|assignedTo|owner){Q}\s*:\s*(?:null|None|{Q}{Q})"
#: The same, quoted either way (``PQ``): what a later read of a ticket says of its owner.
_NO_OWNER_ANY: Final = NO_OWNER.replace(Q, PQ)
#: An owner who is an account that can no longer work: the user object the record names as its
#: owner says it is switched off. Jira's user ``"active": false`` (REST v3 User, also on an issue's
#: ``fields.assignee``), ServiceNow's sys_user ``active`` ``"false"``, Okta's user ``status``
#: ``DEPROVISIONED`` / ``SUSPENDED`` (developer.okta.com Users API, user status), an HR or ticket
#: system's ``account_status: deactivated``. Read inside the owner's own object (no nested object
#: before the flag), so a record naming a deactivated person elsewhere (a former owner beside an
#: active one) is not it. Auto-assignment to such an account holds the work with nobody: a
#: routing rule that still names a leaver, and nobody will open the queue item.
DEAD_OWNER: Final = (
    rf"(?i){PQ}(?:assignee|assigned_?to|assignedTo|owner){PQ}\s*:\s*\{{[^{{}}]*?"
    rf"(?:{PQ}active{PQ}\s*:\s*{PQ}?false\b"
    rf"|{PQ}(?:account_?status|accountStatus|status|state){PQ}\s*:\s*{PQ}(?:deactivated|deprovisioned|suspended|disabled|inactive)\b)"
)


def taken_later(s: pl.LazyFrame, esc: pl.LazyFrame, assigned: str) -> pl.LazyFrame:
    """``run_id, span_id, a_t`` of the ticket escalations (``esc``: tool calls with no incident
    state) a later successful call of the same run, naming the ticket's identifier in its
    arguments, reported assigned (``assigned``: ``TICKET_ASSIGNED``) or worked on."""
    tickets = (
        esc.filter((pl.col("kind") == "tool") & pl.col("incident_state").is_null() & pl.col("output").is_not_null())
        .select("run_id", "span_id", "seq", pl.col("output").str.extract_all(_TICKET_ID).alias("tid"))
        .explode("tid")
        .with_columns(pl.col("tid").str.extract(_TICKET_ID, 1))
        .filter(pl.col("tid").str.len_chars() >= 2)
    )
    later = s.filter(
        (pl.col("kind") == "tool")
        & pl.col("succeeded")
        & pl.col("args").is_not_null()
        & (
            (pl.col("output").str.contains(assigned) & ~pl.col("output").str.contains(DEAD_OWNER))
            | (pl.col("output").str.contains(_WORKED) & ~pl.col("output").str.contains(_NO_OWNER_ANY))
        ).fill_null(False)
    ).select("run_id", pl.col("seq").alias("l_seq"), pl.col("args").alias("l_args"), pl.coalesce("end_time", "t").alias("a_t"))
    return (
        tickets.join(later, on="run_id")
        .filter((pl.col("l_seq") > pl.col("seq")) & pl.col("l_args").str.contains(pl.col("tid"), literal=True))
        .select("run_id", "span_id", "a_t")
    )


#: The reference an escalation's result gives what it opened: a key named ``id``, ``key``,
#: ``number``, ``reference`` / ``ref`` or ending in ``_id`` / ``Id`` (``handoff_id``, ``case_id``,
#: ``ticketId``), its value at least five characters with a digit in it (``HO-20251201-7731``,
#: ``INC0012345``): a queue position or a count names nothing.
REFERENCE: Final = (
    rf"{Q}(?:[A-Za-z]*_id|[a-z]+Id|id|key|number|reference|ref){Q}\s*:\s*{Q}?"
    r"([A-Za-z0-9][A-Za-z0-9_-]{3,63})"
)


def answered_by_reference(s: pl.LazyFrame, esc: pl.LazyFrame) -> pl.LazyFrame:
    """``run_id, span_id, a_t`` of the escalations (``esc``: tool calls) a later person's turn (a
    human span: smolagents' UserInputTool returns whatever the person typed, huggingface/smolagents
    src/smolagents/default_tools.py ``UserInputTool.forward``: ``input(f"{question} => Type your
    answer here:")``, so one channel carries the requester and whoever took the case) answered by
    the reference the escalation's result returned, a reference no question put to a person before
    that turn had shown: only the receiving side holds it ("I've picked up your case HO-..."). A
    requester quoting the case number the agent told them is still the requester."""
    refs = (
        esc.filter((pl.col("kind") == "tool") & pl.col("output").is_not_null())
        .select("run_id", "span_id", "seq", pl.col("output").str.extract_all(REFERENCE).alias("ref"))
        .explode("ref")
        .with_columns(pl.col("ref").str.extract(REFERENCE, 1))
        .filter(pl.col("ref").str.len_chars().is_between(5, 64) & pl.col("ref").str.contains(r"\d"))
    )
    turns = s.filter(pl.col("kind") == "human").select(
        "run_id", pl.col("seq").alias("h_seq"), pl.col("args").alias("h_input"), pl.col("output").alias("h_output"),
        pl.coalesce("end_time", "t").alias("a_t"),
    )
    named = (
        refs.join(turns, on="run_id")
        .filter((pl.col("h_seq") > pl.col("seq")) & pl.col("h_output").str.contains(pl.col("ref"), literal=True).fill_null(False))
        .select("run_id", "span_id", "ref", "h_seq", "a_t")
    )
    shown = (
        named.join(turns.select("run_id", pl.col("h_seq").alias("q_seq"), "h_input"), on="run_id")
        .filter((pl.col("q_seq") <= pl.col("h_seq")) & pl.col("h_input").str.contains(pl.col("ref"), literal=True).fill_null(False))
        .select("run_id", "span_id", "h_seq")
        .unique()
    )
    return named.join(shown, on=["run_id", "span_id", "h_seq"], how="anti").select("run_id", "span_id", "a_t")
