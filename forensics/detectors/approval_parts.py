"""Tool calls a person approved in the prompt that resumed them (Vercel AI SDK ``needsApproval``).

A tool defined with ``needsApproval`` is not executed when the model asks for it: generateText /
streamText end the step with a ``tool-approval-request`` part (``approvalId``, ``toolCallId``) next to
the model's ``tool-call`` part. The application shows it to a person and sends the conversation back
with a ``tool`` message holding a ``tool-approval-response`` part (``approvalId``, ``approved``,
``reason``). The next generateText call collects those responses from the prompt's last message
(vercel/ai packages/ai/src/generate-text/collect-tool-approvals.ts), executes the approved calls
before its first model step and answers the denied ones with ``execution-denied``
(generate-text.ts: ``executeTools({toolCalls: localApprovedToolApprovals...})``). The prompt is
recorded on the call's ``ai.generateText`` / ``ai.streamText`` span (``ai.prompt``: ``{system, prompt,
messages}``), so the approval is in the run's own log, before the call it approved.

Also the OpenAI Agents SDK's resumed step: calls of a needs_approval tool that ran beside one the
SDK answered "Tool execution was not approved." (``approved_beside_a_rejection``).
"""

from __future__ import annotations

import json
from typing import Any, Final

import polars as pl

from forensics.detectors.base import Context

_EMPTY: Final = {"run_id": pl.String, "span_id": pl.String}


def _messages(text: str) -> list[Any]:
    """The ``messages`` of a recorded prompt (``{system, prompt, messages}`` or a bare list)."""
    try:
        value = json.loads(text)
    except (TypeError, ValueError):
        return []
    if isinstance(value, dict):
        value = value.get("messages")
    return value if isinstance(value, list) else []


def _parts(message: Any, role: str) -> list[dict[str, Any]]:
    if (
        not isinstance(message, dict)
        or message.get("role") != role
        or not isinstance(message.get("content"), list)
    ):
        return []
    return [p for p in message["content"] if isinstance(p, dict)]


def approved_tool_names(text: str) -> set[str]:
    """Names of the tool calls the prompt's last message approves (collectToolApprovals): a ``tool``
    message's ``tool-approval-response`` with ``approved: true``, through its ``approvalId`` to the
    assistant's ``tool-approval-request`` and that request's ``toolCallId`` to the ``tool-call`` part.
    A denial, a response that is not in the last message, or one whose request or call is missing
    approves nothing."""
    messages = _messages(text)
    if not messages:
        return set()
    calls: dict[Any, Any] = {}
    requests: dict[Any, Any] = {}
    for message in messages:
        for part in _parts(message, "assistant"):
            if part.get("type") == "tool-call":
                calls[part.get("toolCallId")] = part.get("toolName")
            elif part.get("type") == "tool-approval-request":
                requests[part.get("approvalId")] = part.get("toolCallId")
    names: set[str] = set()
    for part in _parts(messages[-1], "tool"):
        if part.get("type") == "tool-approval-response" and part.get("approved") is True:
            name = calls.get(requests.get(part.get("approvalId")))
            if isinstance(name, str):
                names.add(name)
    return names


def approved_in_prompt(ctx: Context, acts: pl.LazyFrame) -> pl.LazyFrame:
    """``run_id, span_id`` of the calls (``acts``: ``run_id, span_id, seq, call_tool``) a span of
    their own run recorded as approved in its prompt (``approved_tool_names``), that span coming
    before the call and the call running before the run's first model call: the SDK executes the
    approved calls first. A call of the same tool a later model step asked for again is a new call
    no one approved."""
    calls = acts.select("run_id", "span_id", "seq", "call_tool").collect()
    if calls.height == 0:
        return pl.LazyFrame(schema=_EMPTY)
    runs = calls.get_column("run_id").unique().implode()
    s = ctx.spans.lazy().filter(pl.col("run_id").is_in(runs))
    prompts = (
        s.filter(pl.col("args").str.contains("tool-approval-response", literal=True).fill_null(False))
        .select("run_id", pl.col("seq").alias("p_seq"), "args")
        .collect()
    )
    if prompts.height == 0:
        return pl.LazyFrame(schema=_EMPTY)
    approved = pl.DataFrame(
        [(r, q, n) for r, q, a in prompts.iter_rows() for n in approved_tool_names(a)],
        schema={"run_id": pl.String, "p_seq": pl.Int64, "call_tool": pl.String},
        orient="row",
    )
    first_llm = (
        s.filter(pl.col("kind") == "llm").group_by("run_id").agg(pl.col("seq").min().alias("l_seq")).collect()
    )
    return (
        calls.join(
            approved.with_columns(pl.col("p_seq").cast(calls.schema["seq"])), on=["run_id", "call_tool"]
        )
        .join(first_llm, on="run_id", how="left")
        .filter(
            (pl.col("p_seq") < pl.col("seq"))
            & (pl.col("l_seq").is_null() | (pl.col("seq") < pl.col("l_seq")))
        )
        .select("run_id", "span_id")
        .unique()
        .lazy()
    )


#: The OpenAI Agents SDK's answer to a call a person rejected on resume (openai-agents-python
#: tool.py DEFAULT_APPROVAL_REJECTION_MESSAGE; openai-agents-js the same text): the call is recorded
#: with this as its result and the tool's function never ran.
_REJECTED: Final = r"^\s*Tool execution was not approved\.?\s*$"


def approved_beside_a_rejection(ctx: Context, acts: pl.LazyFrame) -> pl.LazyFrame:
    """``run_id, span_id`` of the calls (``acts``: ``run_id, span_id, parent_id, call_tool``) made
    by the same agent step as a call of the same tool that the OpenAI Agents SDK answered
    "Tool execution was not approved.". That answer exists only for a tool that needs approval: a
    run interrupted on such calls is resumed from its RunState with each call approved or rejected
    (state.approve / state.reject), and the resumed step runs the approved ones and answers the
    rejected ones with the rejection message (run_state / _run_impl: is_tool_approved is True,
    executed; False, "Tool execution was not approved."). Its sibling calls that ran were
    therefore approved by a person, and the rejected call itself never ran."""
    calls = acts.select("run_id", "span_id", "parent_id", "call_tool").collect()
    if calls.height == 0:
        return pl.LazyFrame(schema=_EMPTY)
    runs = calls.get_column("run_id").unique().implode()
    rejected = (
        ctx.spans.lazy()
        .filter(pl.col("run_id").is_in(runs) & (pl.col("kind") == "tool"))
        .filter(pl.col("output").str.contains(_REJECTED).fill_null(False))
        .select("run_id", "parent_id", "call_tool", pl.col("span_id").alias("_rejected"))
        .collect()
    )
    if rejected.height == 0:
        return pl.LazyFrame(schema=_EMPTY)
    return (
        calls.join(rejected, on=["run_id", "parent_id", "call_tool"])
        .select("run_id", "span_id")
        .unique()
        .lazy()
    )


def approved_by_response(ctx: Context, acts: pl.LazyFrame) -> pl.LazyFrame:
    """``run_id, span_id`` of the calls (``acts``: ``run_id, span_id, seq, call_tool``) a person's
    recorded answer approved before they ran (conventions ``approves``: Microsoft Agent Framework's
    ``function_approval_response`` with ``approved: true``, or an approval span's own decision):
    the answer is on a span of the call's run earlier in its order (the ``invoke_agent`` run the
    answer was sent in starts before the call it lets through), or of an earlier run of the same
    session (started by the time the call's run started). It names the call's tool (an approval
    span that names no function approves what follows it), and where both sides carry a call id
    the ids are the same: an approval kept in the conversation's history answered its own call,
    not a later call of the same tool the model asked for again. A request, or an answer that
    rejected the call, approves nothing."""
    s = ctx.spans.lazy()
    given = s.filter(pl.col("approves").is_not_null())
    if given.select(pl.len()).collect().item() == 0:
        return pl.LazyFrame(schema=_EMPTY)
    runs = ctx.runs.lazy().select("run_id", "scope_key", pl.col("start_time").alias("r_start"))
    answers = (
        given.select(pl.col("run_id").alias("a_run"), pl.col("seq").alias("a_seq"), pl.col("t").alias("a_t"), "approves")
        .explode("approves")
        .with_columns(
            pl.col("approves").str.extract(r"^(.*)\|", 1).alias("a_tool"),
            pl.col("approves").str.extract(r"\|(.*)$", 1).alias("a_id"),
        )
        .join(runs.select(pl.col("run_id").alias("a_run"), "scope_key"), on="a_run")
    )
    calls = acts.select("run_id", "span_id", "seq", "call_tool").join(
        s.select("run_id", "span_id", "tool_call_id"), on=["run_id", "span_id"], how="left"
    )
    same_call = (pl.col("a_id") == "") | pl.col("tool_call_id").is_null() | (pl.col("a_id") == pl.col("tool_call_id"))
    before = (
        pl.when(pl.col("a_run") == pl.col("run_id"))
        .then(pl.col("a_seq") < pl.col("seq"))
        .otherwise((pl.col("a_t") <= pl.col("r_start")).fill_null(False))
    )
    return (
        calls.join(runs, on="run_id")
        .join(answers, on="scope_key")
        .filter(before & ((pl.col("a_tool") == pl.col("call_tool")) | (pl.col("a_tool") == "*")) & same_call)
        .select("run_id", "span_id")
        .unique()
    )


#: An agent named for approving: ``approver``, ``sre_approver``, ``change_approval`` (a word of its own).
_APPROVER_NAME: Final = r"(?i)(?:^|[^a-z])approv(?:er|ers|al|als)?(?:[^a-z]|$)"


def approver_turn_before(ctx: Context, acts: pl.LazyFrame) -> pl.LazyFrame:
    """``run_id, span_id`` of the calls a team member named for approving took its turn before: an
    agent span (one turn of a group chat's member: autogen-agentchat
    teams/_group_chat/_chat_agent_container.py handle_request opens ``invoke_agent {name}`` per turn)
    of another agent than the caller's, named approver (``sre_approver``), that ended OK before the
    call started and whose result, if it recorded one, is no refusal (declined_reviews). In a
    RoundRobinGroupChat or SelectorGroupChat the approver speaks between the acting agent's turns: a
    UserProxyAgent there is a person typing through input_func, and the action comes after their
    turn. An approver that never took a turn, or a turn after the call, guards nothing."""
    from forensics.detectors.declined_reviews import declined_by_person

    calls = acts.select("run_id", "span_id", "t", "agent").collect()
    if calls.height == 0:
        return pl.LazyFrame(schema=_EMPTY)
    turns = (
        ctx.spans.lazy()
        .join(calls.lazy().select("run_id").unique(), on="run_id", how="semi")
        .filter((pl.col("kind") == "agent") & pl.col("agent").str.contains(_APPROVER_NAME).fill_null(False))
        .filter(~pl.col("failed") & pl.col("end_time").is_not_null() & ~declined_by_person())
        .select("run_id", pl.col("agent").alias("approver"), pl.col("end_time").alias("a_end"))
        .collect()
    )
    return (
        calls.join(turns, on="run_id")
        .filter((pl.col("a_end") <= pl.col("t")) & (pl.col("approver") != pl.col("agent").fill_null("")))
        .select("run_id", "span_id")
        .unique()
        .lazy()
    )
