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
    json_scalar,
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
_APPROVAL: Final = rf"ToolApprovalItem|{Q}type{Q}\s*:\s*{Q}mcp_approval_request{Q}"
#: OpenHands AgentState values (openhands/core/schema/agent.py).
_PAUSE_STATES: Final = {"awaiting_user_confirmation": "approval", "awaiting_user_input": "awaiting_user"}
_ACK_STATES: Final = ("user_confirmed", "user_rejected")
ESCALATING: Final = ("interrupt", "approval")
NOT_FAILURES: Final = ("interrupt", "approval", "tripwire")


def _extract() -> list[pl.Expr]:
    et, em, out = pl.col("error_type"), pl.col("error_message"), pl.col("output")
    interrupt = (
        pl.when(et.is_not_null()).then(et).str.contains(_INTERRUPT_TYPE).fill_null(False)
        | pl.when(em.is_not_null()).then(em).str.contains(_INTERRUPT_TEXT).fill_null(False)
        # langgraph/constants.py: INTERRUPT = "__interrupt__", the key interrupts are returned under.
        | out.str.contains("__interrupt__", literal=True).fill_null(False)
    )
    tripwire = (
        pl.when(et.is_not_null()).then(et).str.contains(_TRIPWIRE).fill_null(False)
        | pl.when(em.is_not_null()).then(em).str.contains(_TRIPWIRE).fill_null(False)
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
    return [
        interrupt.alias("_cv_interrupt"),
        tripwire.alias("_cv_tripwire"),
        approval.alias("_cv_approval"),
        json_scalar("attributes", "agent_state", "agent_state").str.to_lowercase().alias("_cv_agent_state"),
    ]


def _status(df: pl.DataFrame) -> pl.DataFrame:
    state = pl.col("_cv_agent_state")
    kind = (
        pl.when(pl.col("_cv_interrupt"))
        .then(pl.lit("interrupt"))
        .when(pl.col("_cv_approval") | (state == "awaiting_user_confirmation"))
        .then(pl.lit("approval"))
        .when(pl.col("_cv_tripwire"))
        .then(pl.lit("tripwire"))
        .when(state == "awaiting_user_input")
        .then(pl.lit("awaiting_user"))
        .when(pl.col("kind") == "human")
        .then(pl.lit("human"))
    )
    df = df.with_columns(kind.alias("pause_kind"))
    escalating = pl.col("pause_kind").is_in(list(ESCALATING)).fill_null(False)
    return df.with_columns(
        # A pause is not a failure: an interrupt travels up as an exception, a tripwire stops the run.
        (pl.col("failed") & ~pl.col("pause_kind").is_in(list(NOT_FAILURES)).fill_null(False)).alias("failed"),
        # The innermost pause of a chain (the node that called interrupt(), not every graph above it).
        (escalating & ~parent_in(df, escalating)).alias("pause_escalation"),
        state.is_in(list(_ACK_STATES)).fill_null(False).alias("state_ack"),
        state.alias("agent_state"),
    )


register(
    Convention(
        name="pauses",
        signals=(
            Signal(
                "GraphInterrupt / NodeInterrupt raised by interrupt(); __interrupt__ in the output",
                "LangGraph",
                "libs/langgraph/langgraph/errors.py (GraphInterrupt, NodeInterrupt), langgraph/types.py (interrupt, Interrupt), langgraph/constants.py (INTERRUPT)",
                "pause_kind=interrupt, pause_escalation, failed=false",
            ),
            Signal(
                "ToolApprovalItem, mcp_approval_request",
                "OpenAI Agents SDK",
                "src/agents/items.py (ToolApprovalItem, MCPApprovalRequestItem)",
                "pause_kind=approval, pause_escalation",
            ),
            Signal(
                "InputGuardrailTripwireTriggered / OutputGuardrailTripwireTriggered; guardrail span triggered=true",
                "OpenAI Agents SDK",
                "src/agents/exceptions.py, src/agents/tracing/span_data.py (GuardrailSpanData.triggered)",
                "pause_kind=tripwire, failed=false",
            ),
            Signal(
                "agent_state awaiting_user_confirmation / awaiting_user_input / user_confirmed / user_rejected",
                "OpenHands",
                "openhands/core/schema/agent.py (AgentState), AgentStateChangedObservation",
                "pause_kind=approval / awaiting_user, agent_state, state_ack",
            ),
            Signal("human span", "all loaders", "forensics/schema.py (kind=human)", "pause_kind=human"),
        ),
        extract=_extract,
        status=_status,
        columns={
            "pause_kind": "why the span stopped for someone else: interrupt, approval, tripwire, awaiting_user, human (null: no pause)",
            "pause_escalation": "the innermost interrupt or approval request: a decision handed to a person",
            "agent_state": "the agent state a state-change event reports (OpenHands AgentState), lower case",
            "state_ack": "a state change saying a person answered (user_confirmed, user_rejected)",
        },
    )
)
