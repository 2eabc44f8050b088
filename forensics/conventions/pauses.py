"""Pauses and escalations: a graph handing a decision to a person is not an error.

``pause_kind`` says why a span stopped for someone else:

* ``interrupt``: LangGraph's ``interrupt()`` raises ``GraphInterrupt`` (``NodeInterrupt`` in older
  versions); the graph checkpoints and stops until a ``Command(resume=...)`` arrives, and the
  stream's output carries the interrupts under ``__interrupt__``. An escalation to a human.
* ``approval``: a tool call waiting for a person's approval (OpenAI Agents SDK ``ToolApprovalItem``
  / hosted MCP ``mcp_approval_request``; OpenHands ``awaiting_user_confirmation``). An escalation.
* ``tripwire``: a guardrail that tripped (OpenAI Agents SDK ``InputGuardrailTripwireTriggered`` and
  siblings; the guardrail span's ``triggered: true``): the guardrail doing its job, a designed stop.
* ``awaiting_user``: OpenHands' agent waiting for the user's next message.
* ``human``: a human span.

Interrupts, approvals and tripwires are not failures (``failed`` is false on them). The innermost
interrupt or approval of a chain is an escalation (``pause_escalation``): ownership detectors judge
whether anyone took it up (acknowledged or not, resumed or not).
"""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.conventions.registry import (
    Convention,
    Q,
    Signal,
    error_says,
    json_bool,
    json_scalar,
    on_rows,
    parent_in,
    register,
    where_contains,
)

_INTERRUPT_TYPE: Final = r"(?:^|[.:])(?:GraphInterrupt|NodeInterrupt)$"
_INTERRUPT_TEXT: Final = (
    r"^\s*(?:langgraph\.errors\.)?(?:GraphInterrupt|NodeInterrupt)\s*\(|\bInterrupt\(value="
)
_TRIPWIRE: Final = (
    r"(?:Input|Output|ToolInput|ToolOutput)GuardrailTripwireTriggered|Guardrail tripwire triggered"
)
#: A call stopped from outside: asyncio's CancelledError (Python records it as the exception type,
#: opentelemetry-sdk's error.type / status description), a status that says it was cancelled.
_CANCELLED: Final = r"(?i)(?:^|[.:\s])CancelledError\b|^\s*(?:task\s+)?cancell?ed\b"
_APPROVAL: Final = rf"ToolApprovalItem|{Q}type{Q}\s*:\s*{Q}mcp_approval_request{Q}"
#: pydantic-ai's approval of a deferred tool call, as a resumed run is given it: DeferredToolResults
#: approvals map a call id to True or ToolApproved, whose kind is 'tool-approved' (pydantic_ai/tools.py;
#: ai.pydantic.dev/deferred-tools: the run that ended with DeferredToolRequests is resumed with the
#: person's decisions). Where a span's attributes carry one, a person approved what that run then does.
_TOOL_APPROVED: Final = rf"{Q}kind{Q}\s*:\s*{Q}tool-approved{Q}"
#: OpenHands AgentState values (openhands/core/schema/agent.py).
_PAUSE_STATES: Final = {"awaiting_user_confirmation": "approval", "awaiting_user_input": "awaiting_user"}
_ACK_STATES: Final = ("user_confirmed", "user_rejected")
#: Incident states as incident tools report them: PagerDuty REST API incident ``status``
#: (triggered, acknowledged, resolved); Events API v2 ``event_action`` (trigger, acknowledge,
#: resolve); v3 webhook ``event_type`` (incident.triggered, incident.acknowledged,
#: incident.resolved); Opsgenie alert ``acknowledged: true`` and its acknowledge/close actions.
_INCIDENT_STATUS: Final = rf"(?i){Q}status{Q}\s*:\s*{Q}(triggered|acknowledged|resolved){Q}"
_EVENT_ACTION: Final = rf"(?i){Q}event_action{Q}\s*:\s*{Q}(trigger|acknowledge|resolve){Q}"
_EVENT_TYPE: Final = r"(?i)\bincident\.(triggered|acknowledged|resolved)\b"
_ALERT_ACKED: Final = rf"(?i){Q}acknowledged{Q}\s*:\s*true\b"
#: A ticket or incident record saying when someone acknowledged it (``acknowledged_at`` set: a
#: helpdesk or on-call record read back by a later call), or a Zendesk ticket ``status`` "solved"
#: (Zendesk Tickets API: new, open, pending, hold, solved, closed; only "solved" is unambiguous:
#: an Opsgenie alert's "open"/"closed" says nothing of who took it up).
_ACKED_AT: Final = rf"(?i){Q}acknowledged_?at{Q}\s*:\s*{Q}[0-9]"
_TICKET_SOLVED: Final = rf"(?i){Q}status{Q}\s*:\s*{Q}solved{Q}"
#: An alerting API's answer to an accepted request, which names no state: the Events API v2's
#: ``{"status": "success", "message": "Event processed", "dedup_key": ...}`` (PagerDuty developer
#: docs, Events API v2 "Send an Alert Event", 202 from POST https://events.pagerduty.com/v2/enqueue;
#: pdpyras EventsAPISession) and the Opsgenie Alert API's ``{"result": "Request will be processed",
#: "requestId": ...}`` (every alert action is asynchronous: create, acknowledge, close). Where the
#: input does not say which event was sent, a call whose name asks for no change to an existing
#: alert (_ON_EXISTING_ALERT: acknowledge, resolve, close, snooze, note, ...) opened one.
_EVENT_ACCEPTED: Final = (
    rf"(?i){Q}message{Q}\s*:\s*{Q}Event processed{Q}|{Q}result{Q}\s*:\s*{Q}Request will be processed{Q}"
)
_ON_EXISTING_ALERT: Final = r"(?i)ack|resol|clos|snooz|note|tag|assign|priorit|delet|escalat|update|get|list|read"
#: An alert read back not yet acknowledged (Opsgenie Alert API get alert: ``data.acknowledged``
#: false while ``status`` is "open"): still waiting for someone, as a PagerDuty incident "triggered".
_ALERT_NOT_ACKED: Final = rf"(?i){Q}acknowledged{Q}\s*:\s*false\b"
#: A ticket read back with its owner named: the ticketing systems' field for who holds it (Zendesk
#: Tickets API ``assignee_id``, "the agent currently assigned to the ticket"; Jira ``assignee``;
#: ServiceNow ``assigned_to``) set to someone (a name, an id, an object), not null. Someone took the
#: ticket. Only where the record says nothing of an incident status (a PagerDuty incident is
#: assigned to on-call when it triggers and is taken only when acknowledged).
_TICKET_ASSIGNEE: Final = rf"(?i){Q}(?:assignee|assignee_?id|assigneeId|assigned_?to|assignedTo){Q}\s*:\s*(?:{Q}[^\"\\\s]|[0-9]|\{{)"
#: The incident's identifiers: the Events API dedup_key, an incident id, key or number, an Opsgenie
#: alias or alert id, any ``id`` in a span that speaks of an incident. Every one a span names is kept:
#: one incident is named differently by different calls (its REST id, its number, its dedup_key).
_INCIDENT_ID: Final = rf"(?i){Q}(?:dedup_key|incident_key|incident_id|incident_number|alert_id|alertId|alias|ticket|ticket_id|ticketId|ticket_number|id){Q}\s*:\s*{Q}?([^\"\\,\}}\]\s]+)"
#: Keys of an explicit "the person is signed in / verified" flag (metadata of a conversation or
#: trace: ``authenticated``, ``is_authenticated``, ``user_verified``, ``logged_in``, ...).
_AUTH_KEYS: Final = r"(?:is_|user_|customer_|identity_)?authenticated|isAuthenticated|userAuthenticated"
_VERIFIED_KEYS: Final = r"(?:is_|user_|customer_|identity_)verified|isVerified|identityVerified"
_LOGIN_KEYS: Final = r"(?:is_|user_)?(?:logged_in|signed_in)|loggedIn|signedIn|isLoggedIn"
ESCALATING: Final = ("interrupt", "approval")
NOT_FAILURES: Final = ("interrupt", "approval", "tripwire")


def _prefilter() -> list[pl.Expr]:
    """The spans that speak of an incident or an alert (Aho-Corasick over the text columns): one
    mask the incident expressions share, computed once (~0.5 s at 600k spans; as a sub-expression
    of each of them it was computed again for each)."""
    # (An Opsgenie alert read back or queued names neither "alert" nor "opsgenie" in its JSON:
    # data.acknowledged, "Request will be processed".)
    needles = ["incident", "dedup_key", "routing_key", "opsgenie", "alert", "ticket", "acknowledged",
               "request will be processed"]
    # The same test as a regex, ASCII case-insensitive (`(?i-u)`, as ascii_case_insensitive=True),
    # read only on the attribute texts whose lower-cased form holds a needle: a case-insensitive
    # alternation has no literal prefilter and reads every byte (0.29 CPU s over 189 MB at 584k
    # spans; contains_any as slow); lower-casing, a case-sensitive literal scan and the regex on the
    # texts it kept, 0.12 s.
    # Every text the regex matches is kept (the matched letters are ASCII, and lower-case to the
    # needle); the few others lower-casing also keeps (the Kelvin sign is a "k") the regex drops.
    # On the short columns contains_any is faster.
    lowered = pl.col("attributes").str.to_lowercase().str.contains("|".join(needles))
    attrs = pl.when(lowered).then(pl.col("attributes")).str.contains("(?i-u)" + "|".join(needles)).fill_null(False)
    cols = ["output", "input", "name"]
    return [
        pl.any_horizontal(
            [pl.col(c).str.contains_any(needles, ascii_case_insensitive=True).fill_null(False) for c in cols]
            + [attrs]
        ).alias("_cv_incident_context")
    ]


def _extract() -> list[pl.Expr]:
    out = pl.col("output")
    interrupt = (
        error_says(_INTERRUPT_TYPE, _INTERRUPT_TEXT)
        # langgraph/constants.py: INTERRUPT = "__interrupt__", the key interrupts are returned under.
        | out.str.contains("__interrupt__", literal=True).fill_null(False)
    )
    tripwire = (
        error_says(_TRIPWIRE)
        # OpenAI Agents SDK GuardrailSpanData(name, triggered): the loaders keep `triggered`.
        | (
            (pl.col("kind") == "guardrail")
            & where_contains("attributes", "triggered")
            .str.contains(rf"{Q}triggered{Q}\s*:\s*true")
            .fill_null(False)
        )
    )
    approval = where_contains("attributes", "pproval").str.contains(_APPROVAL).fill_null(
        False
    ) | where_contains("output", "pproval").str.contains(_APPROVAL).fill_null(False)
    # A cheap literal scan first (_prefilter, computed once); the regexes below only read the few
    # spans that speak of an incident or an alert.
    in_context = pl.col("_cv_incident_context")

    def only(c: str) -> pl.Expr:
        return pl.when(in_context).then(pl.col(c))

    def state_of(texts: pl.Expr) -> pl.Expr:
        # On the spans in context only (taken out and put back: on_rows), the lower-casing and
        # spelling map too: as when/then columns over every span (each copying its text column)
        # and a map over every span's null, this cost ~0.07 CPU s at 584k spans with none in context.
        def field(c: str) -> pl.Expr:
            return texts.struct.field(c)

        def said(rx: str) -> pl.Expr:
            return field("output").str.contains(rx)

        return pl.coalesce(
            # What the call asked for (Events API v2), then what the incident now is (REST, webhooks).
            field("input").str.extract(_EVENT_ACTION, 1),
            field("output").str.extract(_INCIDENT_STATUS, 1),
            field("name").str.extract(_EVENT_TYPE, 1),
            field("output").str.extract(_EVENT_TYPE, 1),
            field("attributes").str.extract(_EVENT_TYPE, 1),
            pl.when(said(_ALERT_ACKED)).then(pl.lit("acknowledged")),
            pl.when(said(_ACKED_AT)).then(pl.lit("acknowledged")),
            pl.when(said(_TICKET_SOLVED)).then(pl.lit("resolved")),
            pl.when(said(r"(?i)ticket") & said(_TICKET_ASSIGNEE)).then(pl.lit("acknowledged")),
            pl.when(said(_ALERT_NOT_ACKED)).then(pl.lit("triggered")),
            pl.when(
                said(_EVENT_ACCEPTED)
                & ~pl.coalesce(field("tool"), field("name")).str.contains(_ON_EXISTING_ALERT).fill_null(False)
            ).then(pl.lit("triggered")),
        ).str.to_lowercase().replace({"trigger": "triggered", "acknowledge": "acknowledged", "resolve": "resolved"})

    texts = pl.struct("input", "output", "name", "attributes", "tool")
    state = on_rows(in_context, texts, state_of).alias("_cv_incident_state")
    empty = pl.lit([], dtype=pl.List(pl.String))

    def ids_of(texts: pl.Expr) -> pl.Expr:
        ids = pl.concat_list(
            [
                texts.struct.field(c).str.extract_all(_INCIDENT_ID).fill_null(empty)
                for c in ("output", "input")
            ]
        )
        return ids.list.eval(pl.element().str.extract(_INCIDENT_ID, 1)).list.unique()

    # The list work runs on the spans in context only (taken out and put back: on_rows); the rest
    # get an empty list.
    key = on_rows(in_context, pl.struct("output", "input"), ids_of).fill_null(empty)
    return [
        state,
        # A read of the incident: the call asked for no change (no Events API event_action).
        (in_context & only("input").str.extract(_EVENT_ACTION, 1).is_null()).alias("_cv_reads"),
        key.alias("_cv_incident_key"),
        interrupt.alias("_cv_interrupt"),
        tripwire.alias("_cv_tripwire"),
        approval.alias("_cv_approval"),
        # Agent Framework workflows: the executor each executor.process span ran (observability.py
        # create_processing_span: executor.id, executor.type = the executor's class name).
        json_scalar("attributes", r"executor\.type", "executor.type").alias("_cv_executor_type"),
        where_contains("attributes", "tool-approved").str.contains(_TOOL_APPROVED).fill_null(False).alias("_cv_tool_approved"),
        json_scalar("attributes", "agent_state", "agent_state").str.to_lowercase().alias("_cv_agent_state"),
        # Whether the person is signed in, where the log says so: an explicit flag in the run's or
        # message's metadata (chat transcripts, Langfuse/LangSmith metadata), true or false.
        pl.coalesce(
            json_bool("attributes", _AUTH_KEYS, "uthenticated"),
            json_bool("attributes", _VERIFIED_KEYS, "erified"),
            json_bool("attributes", _LOGIN_KEYS, "ogged"),
            json_bool("attributes", _LOGIN_KEYS, "igned"),
        ).alias("_cv_authenticated"),
        *_prompt_turns(),
    ]


#: A message's role and its plain-text content, as a model call's input lists them (Chat
#: Completions messages; the OpenAI Agents SDK generation span's input: the agent's instructions as
#: the system message, then the conversation).
_ROLE: Final = rf"{Q}role{Q}\s*:\s*{Q}(user|assistant){Q}"
_USER_TEXT: Final = rf"{Q}role{Q}\s*:\s*{Q}user{Q}\s*,\s*{Q}content{Q}\s*:\s*{Q}((?:[^\"\\]|\\.)*){Q}"


def _prompt_turns() -> list[pl.Expr]:
    """What a model call's input says of the confirmation a run's instructions ask for
    (detectors.confirmation_rule): whether its instructions require the user's confirmation, the
    person's latest turn in it (the last user message with plain-text content) and whether that
    turn answers the agent (an assistant message before it). Read only on model calls whose input
    mentions confirming (a literal scan first)."""
    from forensics.detectors.confirmation_rule import CONFIRMATION_RULE

    text = pl.when(pl.col("kind") == "llm").then(where_contains("input", "onfirm"))
    roles = text.str.extract_all(_ROLE).list.eval(pl.element().str.extract(_ROLE, 1).str.slice(0, 1)).list.join("")
    return [
        text.str.contains(CONFIRMATION_RULE).fill_null(False).alias("_cv_prompt_rule"),
        text.str.extract_all(_USER_TEXT).list.last().str.extract(_USER_TEXT, 1).alias("_cv_prompt_turn"),
        roles.str.contains(r"a.*ua*$").fill_null(False).alias("_cv_prompt_answers"),
    ]


def _awaiting_approval(df: pl.DataFrame) -> pl.Expr:
    """OpenAI Agents SDK function spans of calls stopped for approval, in exports that leave their
    output empty. The runner opens the function span, records the arguments, and for a tool whose
    ``needs_approval`` has no decision yet returns the ``ToolApprovalItem`` as the result without
    invoking it (src/agents/run_internal/tool_execution.py ``_run_single_tool`` /
    ``_maybe_execute_tool_approval``); the turn then ends in an interruption, so no model call
    follows under that agent span (a call that ran has its result sent back to the model in the
    next turn of the same agent span). Where the export writes the result, ``ToolApprovalItem`` in
    it says so (``_APPROVAL``); where it leaves it empty, the arguments recorded, no output, no
    error and no later model call under the same agent span do. The span ended: the function span
    is a context manager the runner leaves as it returns the approval item, so a function span with
    no end is a call still running when the log stopped (a streamed run the client abandoned, its
    spans dumped open at shutdown), not a call stopped for approval."""
    cand = df.filter(
        (pl.col("kind") == "tool")
        & (pl.col("source_format") == "openai-agents")
        & pl.col("args").is_not_null()
        & pl.col("output").is_null()
        & pl.col("end_time").is_not_null()
        & ~pl.col("failed")
    ).select("span_k", "parent_k", "t")
    if cand.height == 0:
        return pl.lit(False)
    agents = df.filter(pl.col("kind") == "agent").select(pl.col("span_k").alias("parent_k"))
    models = df.filter(pl.col("kind") == "llm").select("parent_k", pl.col("t").alias("l_t"))
    answered = cand.join(models, on="parent_k").filter(pl.col("l_t") > pl.col("t")).select("span_k")
    pending = cand.join(agents, on="parent_k", how="semi").join(answered, on="span_k", how="anti")
    return pl.col("span_k").is_in(pending.get_column("span_k").implode())


#: Microsoft Agent Framework's built-in human-in-the-loop executor (agent_framework/_workflows/
#: _executor.py RequestInfoExecutor: "When it receives a request message, it saves the request
#: details and emits a RequestInfoEvent. When a response is provided externally, it emits the
#: response as a message").
REQUEST_INFO_EXECUTOR: Final = "RequestInfoExecutor"


def _request_unanswered(df: pl.DataFrame) -> pl.Expr:
    """A RequestInfoExecutor's span (loaded as kind human: the question put to a person) with
    nothing of its run started after it ended: the response never came. The workflow waits on it
    (the run ends idle with the request pending) until ``send_responses`` hands the answer in, which
    RequestInfoExecutor.handle_response sends on as a message to the executor that asked, whose work
    then runs. A request with no work after it is a question nobody answered (pause_kind approval:
    an escalation), not a person's review; work after it (another branch's, at worst) is read as the
    workflow going on with the answer."""
    asks = pl.col("_cv_executor_type") == REQUEST_INFO_EXECUTOR
    cand = df.filter(asks.fill_null(False)).select("span_k", "run_key", pl.coalesce("end_time", "t").alias("_end"))
    if cand.height == 0:
        return pl.lit(False)
    work = df.join(cand.select("run_key").unique(), on="run_key", how="semi").select("run_key", pl.col("t").alias("_w_t"))
    answered = cand.join(work, on="run_key").filter(pl.col("_w_t") >= pl.col("_end")).select("span_k")
    pending = cand.join(answered, on="span_k", how="anti")
    return pl.col("span_k").is_in(pending.get_column("span_k").implode())


def _status(df: pl.DataFrame) -> pl.DataFrame:
    state = pl.col("_cv_agent_state")
    kind = (
        pl.when(pl.col("_cv_interrupt"))
        .then(pl.lit("interrupt"))
        .when(pl.col("_cv_approval") | (state == "awaiting_user_confirmation") | _awaiting_approval(df) | _request_unanswered(df))
        .then(pl.lit("approval"))
        .when(pl.col("_cv_tripwire"))
        .then(pl.lit("tripwire"))
        .when(state == "awaiting_user_input")
        .then(pl.lit("awaiting_user"))
        .when(pl.col("kind") == "human")
        .then(pl.lit("human"))
    )
    df = df.with_columns(kind.alias("pause_kind"))
    # A call cancelled because the span above it stopped at a tripwire or an interrupt is part of
    # that designed stop: the OpenAI Agents SDK cancels the work still in flight when a guardrail's
    # tripwire fires ("it can immediately raise an error, which stops the expensive model from
    # running", docs guardrails; run.py _run_input_guardrails cancels the pending tasks and raises
    # InputGuardrailTripwireTriggered). The cancelled call did not fail on its own.
    stopped = df.filter(pl.col("pause_kind").is_in(["tripwire", "interrupt"]).fill_null(False))
    cancelled = pl.col("error_type").str.contains(_CANCELLED).fill_null(False) | pl.col(
        "error_message"
    ).str.contains(_CANCELLED).fill_null(False)
    by_pause = cancelled & pl.col("parent_k").is_in(stopped.get_column("span_k").implode())
    df = df.with_columns(pl.col("failed") & ~by_pause)
    escalating = pl.col("pause_kind").is_in(list(ESCALATING)).fill_null(False)
    return df.with_columns(
        # A pause is not a failure: an interrupt travels up as an exception, a tripwire stops the run.
        (pl.col("failed") & ~pl.col("pause_kind").is_in(list(NOT_FAILURES)).fill_null(False)).alias("failed"),
        # The innermost pause of a chain (the node that called interrupt(), not every graph above it).
        (escalating & ~parent_in(df, escalating)).alias("pause_escalation"),
        (state.is_in(list(_ACK_STATES)).fill_null(False) | pl.col("_cv_tool_approved")).alias("state_ack"),
        state.alias("agent_state"),
        # What the pause asked the person (the interrupt value in GraphInterrupt's message or
        # __interrupt__, the approval request): kept only on interrupts and approvals.
        pl.when(pl.col("pause_kind").is_in(["interrupt", "approval"]))
        .then(pl.concat_str(["error_message", "output", "args"], separator=" ", ignore_nulls=True))
        .alias("pause_text"),
        # OpenTelemetry's enduser.id is the identity taken from the request's access token: a
        # signed-in person (an explicit flag saying otherwise wins).
        pl.coalesce("_cv_authenticated", pl.when(pl.col("person")).then(pl.lit(True))).alias("authenticated"),
        pl.col("_cv_incident_state").alias("incident_state"),
        pl.col("_cv_prompt_rule").alias("prompt_rule"),
        pl.when(pl.col("_cv_prompt_rule")).then(pl.col("_cv_prompt_turn")).alias("prompt_turn"),
        (pl.col("_cv_prompt_rule") & pl.col("_cv_prompt_answers")).alias("prompt_answers"),
        pl.col("_cv_incident_key").alias("incident_key"),
    )


def _incident_checks(df: pl.DataFrame) -> pl.DataFrame:
    """``awaits_incident``: a call that reads back an incident the run opened earlier and finds it
    still triggered (PagerDuty REST ``GET /incidents/{id}`` status ``triggered``, no acknowledgement
    yet). Polling one's own page until someone takes it up is waiting on the escalation, not a lost
    thread: identical answers are what waiting looks like, and what came of the page is
    unacknowledged_escalation's to judge. A call that asked for a change (an Events API
    ``event_action`` in its input) is no read; an incident first named by a read of the same call
    was not opened by this run. Only spans naming an incident are looked at."""
    named = pl.col("incident_key").list.len() > 0
    cand = df.filter(named.fill_null(False)).select(
        "run_key", "span_k", "parent_k", "seq", "call", "incident_key", "incident_state", "_cv_reads"
    )
    if cand.height == 0:
        return df.with_columns(pl.lit(False).alias("awaits_incident"))
    # A step that reports its call's result as its own output names the incident before the call
    # did (it starts first): smolagents' `Step N` span, whose output is the step's observations
    # (openinference-instrumentation-smolagents `_StepWrapper`; src/smolagents/agents.py
    # ToolCallingAgent: the tool's result becomes the observation). The call under it opened the
    # incident; the step only passes its result up, so it opens and reads nothing of its own.
    keys = cand.join(
        cand.select("run_key", pl.col("parent_k").alias("span_k")).unique(), on=["run_key", "span_k"], how="anti"
    ).explode("incident_key")
    # Who first named the incident: another call that reported it triggered opened it (the page);
    # a first read of the same call found an incident someone else opened.
    first = (
        keys.sort("seq")
        .group_by("run_key", "incident_key")
        .agg(pl.col("seq").first().alias("_first"), pl.col("call").first().alias("_opener"),
             pl.col("incident_state").first().alias("_opened"))
        .filter(pl.col("_opened") == "triggered")
    )
    checks = (
        keys.join(first, on=["run_key", "incident_key"])
        .filter(
            (pl.col("_first") < pl.col("seq"))
            & (pl.col("_opener") != pl.col("call"))
            & (pl.col("incident_state") == "triggered")
            & pl.col("_cv_reads")
        )
        .get_column("span_k")
        .unique()
        .implode()
    )
    return df.with_columns(pl.col("span_k").is_in(checks).alias("awaits_incident"))


register(
    Convention(
        name="pauses",
        signals=(
            Signal(
                "GraphInterrupt / NodeInterrupt raised by interrupt(); __interrupt__ in the output",
                "LangGraph",
                "libs/langgraph/langgraph/errors.py (GraphInterrupt, NodeInterrupt), langgraph/types.py (interrupt, Interrupt), langgraph/constants.py (INTERRUPT)",
                "pause_kind=interrupt, pause_escalation, pause_text, failed=false",
            ),
            Signal(
                "ToolApprovalItem, mcp_approval_request",
                "OpenAI Agents SDK",
                "src/agents/items.py (ToolApprovalItem, MCPApprovalRequestItem)",
                "pause_kind=approval, pause_escalation",
            ),
            Signal(
                "a function span with its arguments, no output, no error and no model call after it under its agent span",
                "OpenAI Agents SDK",
                "src/agents/run_internal/tool_execution.py (_run_single_tool, _maybe_execute_tool_approval: a needs_approval call with no decision returns the ToolApprovalItem uninvoked; the turn ends in an interruption)",
                "pause_kind=approval, pause_escalation",
            ),
            Signal(
                "InputGuardrailTripwireTriggered / OutputGuardrailTripwireTriggered; guardrail span triggered=true",
                "OpenAI Agents SDK",
                "src/agents/exceptions.py, src/agents/tracing/span_data.py (GuardrailSpanData.triggered)",
                "pause_kind=tripwire, failed=false",
            ),
            Signal(
                "a call cancelled (CancelledError, a status 'cancelled') under a span stopped at a tripwire or interrupt",
                "OpenAI Agents SDK (any asyncio runner)",
                "src/agents/run.py (_run_input_guardrails cancels the pending tasks, raises InputGuardrailTripwireTriggered); docs Guardrails",
                "failed=false (the stop was designed)",
            ),
            Signal(
                "agent_state awaiting_user_confirmation / awaiting_user_input / user_confirmed / user_rejected",
                "OpenHands",
                "openhands/core/schema/agent.py (AgentState), AgentStateChangedObservation; the user's ChangeAgentStateAction "
                "(openhands/events/action/agent.py: its args.agent_state, written as agent_state by forensics/loaders/openhands.py); "
                "an agent MessageAction with wait_for_response (openhands/events/action/message.py; AgentController._handle_message_action "
                "sets AWAITING_USER_INPUT), written as agent_state awaiting_user_input by the loader",
                "pause_kind=approval / awaiting_user, agent_state, state_ack",
            ),
            Signal("human span", "all loaders", "forensics/schema.py (kind=human)", "pause_kind=human"),
            Signal(
                "a RequestInfoExecutor's executor.process span (executor.type) with nothing of its run started after it ended",
                "Microsoft Agent Framework (workflows)",
                "microsoft/agent-framework python/packages/core/agent_framework/_workflows/_executor.py (RequestInfoExecutor.run emits "
                "the RequestInfoEvent; handle_response sends the answer on as a message); observability.py (create_processing_span)",
                "pause_kind=approval, pause_escalation (the request pending: no person's turn)",
            ),
            Signal(
                "a model call's input holding instructions that require the user's confirmation, and the conversation after them",
                "OpenAI Agents SDK (generation span input: the agent's instructions as the system message, then the conversation); Chat Completions messages",
                "src/agents/tracing/span_data.py (GenerationSpanData.input), src/agents/models/openai_chatcompletions.py (instructions sent as the system message)",
                "prompt_rule, prompt_turn (the last user message), prompt_answers (an assistant message before it)",
            ),
            Signal(
                "authenticated / is_authenticated / user_verified / logged_in flag in metadata; enduser.id",
                "chat transcripts, Langfuse / LangSmith metadata; OpenTelemetry",
                "semantic-conventions enduser.id (the identity from the request's access token or Authorization header)",
                "authenticated (true, false, null)",
            ),
            Signal(
                "incident status triggered / acknowledged / resolved; event_action trigger / acknowledge / resolve; incident.* webhook events; alert acknowledged: true; a ticket or incident record read back with acknowledged_at set, a ticket status solved, a ticket read back with its assignee set",
                "PagerDuty REST and Events API v2, Opsgenie Alert API, Zendesk Tickets API, Jira, ServiceNow (any tool that calls them)",
                "PagerDuty developer docs: REST API v2 Incident (status), Events API v2 (event_action, dedup_key), Webhooks v3 (event_type); Opsgenie Alert API (acknowledge, close, alias); Zendesk Tickets API (status new / open / pending / hold / solved / closed; assignee_id); Jira issue assignee; ServiceNow assigned_to",
                "incident_state (triggered, acknowledged, resolved), incident_key (its identifiers)",
            ),
            Signal(
                "an accepted event or alert request answered with no state: {status: success, message: Event processed, dedup_key}; {result: Request will be processed, requestId}; an alert read back acknowledged: false",
                "PagerDuty Events API v2, Opsgenie Alert API (any tool that calls them, a call not named for acting on an open alert)",
                "PagerDuty developer docs: Events API v2 Send an Alert Event (POST /v2/enqueue, 202 response); pdpyras EventsAPISession; Opsgenie Alert API (Create Alert, asynchronous: result and requestId; Get Alert: data.acknowledged)",
                "incident_state triggered (the page opened, or still waiting)",
            ),
            Signal(
                "a later read of an incident the run opened (the same identifier) reporting status triggered, with no event_action asked",
                "PagerDuty REST API v2 (GET /incidents/{id}), Opsgenie Alert API (get alert); any tool that polls them",
                "PagerDuty developer docs: REST API v2 Incident (status triggered until acknowledged), Events API v2 (event_action marks a change, not a read); "
                "openinference-instrumentation-smolagents _wrappers.py (_StepWrapper: the Step N span's output is the step's observations), "
                "src/smolagents/agents.py (ToolCallingAgent: the tool's result is the observation)",
                "awaits_incident (repeated_action does not count these reads: the run is waiting on its escalation); the opener is the innermost "
                "span naming the incident: a step whose call under it names it too only passes the call's result up",
            ),
        ),
        prefilter=_prefilter,
        extract=_extract,
        status=_status,
        structure=_incident_checks,
        columns={
            "pause_kind": "why the span stopped for someone else: interrupt, approval, tripwire, awaiting_user, human (null: no pause)",
            "pause_escalation": "the innermost interrupt or approval request: a decision handed to a person",
            "pause_text": "what an interrupt or approval request asked (its error message, output and input text: the interrupt value, the approval request; null on other spans)",
            "agent_state": "the agent state a state-change event reports (OpenHands AgentState), lower case",
            "state_ack": "a state change saying a person answered (user_confirmed, user_rejected)",
            "authenticated": "the log says the person is signed in (true: an authenticated flag or enduser.id; false: a flag saying not; null: not said)",
            "incident_state": "an incident or alert this span opened or reports: triggered, acknowledged, resolved (null: none)",
            "incident_key": "every identifier of the incident the span names (dedup_key, incident id, key or number, alert alias), a list",
            "prompt_rule": "a model call whose input holds instructions requiring the user's explicit confirmation (detectors.confirmation_rule)",
            "prompt_turn": "on such a model call, the person's latest turn in its input (the last user message's text)",
            "prompt_answers": "on such a model call, whether that turn came after an assistant message (it answers the agent)",
            "awaits_incident": "a read of an incident the run opened earlier that finds it still triggered: waiting on the escalation (polling), not a repeat",
        },
    )
)
