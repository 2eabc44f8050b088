"""OpenHands event streams: the trajectory JSON a session saves (a list of events), one event per
line, or evaluation output lines that hold the events under ``history``.

An event is ``{id, timestamp (naive ISO = UTC), source user|agent|environment, action|observation,
cause, message, args|content+extras, tool_call_metadata}`` (see
../shared/formats/jsonl_app_logs/openhands_trajs_basic.json).

Pairing: an observation *closes* the action it answers (``cause`` = the action's id): the action
is the span (a tool call: ``tool`` = ``tool_call_metadata.function_name``, ``input`` = its args),
the observation gives its ``end_time``, ``output`` (the observation's content) and status, and is
folded into the action's row (``sink.merged``; the observation's own fields are kept under
``@observation``, except the copy of the action's ``tool_call_metadata`` it repeats). So a tool
call is one span with a duration, as in every other format. Observations with no open action to
close (state changes, a second observation of the same action, a cause outside the file) are
``event`` spans of their own, parented to their cause.

Status: an ``error`` observation (ErrorObservation) makes the span an error, and so does an
``agent_state_changed`` to ``error`` (the controller stopping the agent; ``extras.reason``), a browser
observation with ``extras.error`` true (``browser_action_error``, ``last_browser_action_error`` as the
message); so does a command
whose ``extras.metadata.exit_code`` (older files: ``extras.exit_code``) is a non-zero code
(``-1`` means "no exit code yet", not a failure), and a command that ran out of its time limit (exit
code ``-1`` with the bash session's "[The command timed out after N seconds. ...]": ``error_type``
``command_timeout``, the notice as the message). The no-change timeout ("[The command has no new
output after N seconds. ...]", the command still running) is no verdict: status unset, the notice
under ``@still_running`` (see ``_still_running``). Actions that never get an observation (agent
``message``, ``finish``, ``system``, ``reject``, state changes) are instants (end = start);
other actions whose observation never came stay open (end_time null).

Declared outcome (``@outcome`` on the run's root spans, see :mod:`forensics.outcome`): an
evaluation line's ``report.resolved`` (or ``test_result.report.resolved``), else its ``error``
(a failure); else the agent's own last word: the last ``agent_state_changed`` (``finished`` is
success, ``error``/``rejected`` failure, anything else unknown) or its ``finish`` action
(``task_completed`` when given). A trajectory's events without a cause hang under a run span of
its own (``span_id`` "run", a chain with no agent; see ``_run_span``), which carries the outcome;
an evaluation line's under its ``openhands`` run span. Root spans are written when the run ends.

A tool call's input is its action's args without ``thought`` (the model's narration, kept as the
``thought`` attribute: the same command said with other words is the same call). A controller's
``agent_state_changed`` has no output (its content is always ''), and one to ``error`` is owned by
the agent whose controller stopped it (``reason``: "AgentStuckInLoopError: ..." from
openhands/controller/stuck.py), not by no agent.

Kinds: user ``message`` → human; the user's confirmation-mode answer (``change_agent_state`` to
user_confirmed / user_rejected) → human; agent ``message`` → llm; ``delegate`` → handoff to
``args.agent`` (and the delegate's events, until its observation, are owned by that agent);
``recall`` → retriever; ``system``/state changes → event; an agent ``message`` with ``wait_for_response``
(the agent asks and waits: the controller sets AWAITING_USER_INPUT) is still llm, with ``agent_state``
awaiting_user_input as the state change it causes reports (see ``_waits_for_user``); the agent's ``finish`` → llm (its last word
to the user, the run's answer: ``args.final_thought``, else the event's ``message``); every other
action → tool. Agent events
are owned by agent ``agent`` (the stream does not name the agent class). Tokens and model come
from ``tool_call_metadata.model_response`` once per response id (several tool calls of one
response repeat the same usage). Cost: an event's ``llm_metrics`` is the agent's LLM ``Metrics.get()``
at that event (openhands/events/serialization/event.py ``event_to_dict``; openhands/llm/metrics.py),
whose ``accumulated_cost`` is a running total: an event's ``cost_usd`` is its rise since the run's
previous event that carried one (the first: the whole total), so the run's spans sum to its total.
Run id: the events' ``session_id``/``sid`` when present, the
evaluation line's ``instance_id``, else the file stem.
"""

from __future__ import annotations

import os
import re
from typing import Any, Final

from ..normalize import as_float, as_int, as_text
from ..outcome import OUTCOME_KEY, outcome_attribute, record_outcome, word_verdict
from .base import Loader, Sample, Source, SpanSink
from .otel_common import RecordError, field_value, id_text, time_ns

MAIN_AGENT = "agent"
_SOURCES = frozenset({"user", "agent", "environment"})
#: Actions no observation answers: they are instants.
_INSTANT = frozenset({"message", "finish", "system", "reject", "change_agent_state", "null", "condensation",
                      "condensation_request"})
_ACTION_KINDS = {"delegate": "handoff", "recall": "retriever", "system": "event", "change_agent_state": "event",
                 "null": "event", "condensation": "event", "condensation_request": "event"}
_RUN_KEYS = ("session_id", "sid")
#: A person's answer to an action held in confirmation mode: the ChangeAgentStateAction the user
#: sends (source user) to AgentState.USER_CONFIRMED / USER_REJECTED (openhands/core/schema/agent.py;
#: openhands/events/action/agent.py; the controller then runs or drops the held action,
#: openhands/controller/agent_controller.py). The person acted: a human step, not a state event.
_PERSON_ANSWERS: Final = frozenset({"user_confirmed", "user_rejected"})
#: A command that had not completed when its observation was written: the bash session's no-change
#: timeout ("[The command has no new output after 30 seconds. ...]") or hard timeout ("[The command
#: timed out after N seconds. ...]"), with no exit code (-1, CmdOutputMetadata's default): OpenHands
#: openhands/runtime/utils/bash.py _handle_nochange_timeout_command / _handle_hard_timeout_command
#: (metadata.suffix; the observation's message and the agent's view append it to the output).
_NOT_COMPLETED: Final = re.compile(r"\[The command (has no new output|timed out) after [\d.]+ seconds\.[^\]]*\]?")
#: The hard timeout is the action's own time limit run out: an error. The no-change timeout is no
#: verdict (see _still_running), so it has no error type.
_TIMEOUT_TYPES: Final = {"has no new output": None, "timed out": "command_timeout"}
_HISTORY_KEYS = ("history", "events", "trajectory")
_USED = frozenset({"id", "timestamp", "source", "action", "observation", "cause", "args", "content",
                   "tool_call_metadata", *_RUN_KEYS})


def _is_event(value: Any) -> bool:
    # `source` is checked to be a string first: an object there is unhashable (found by fuzzing).
    return (isinstance(value, dict) and isinstance(value.get("source"), str) and value["source"] in _SOURCES
            and ("action" in value or "observation" in value))


class OpenHandsLoader(Loader):
    name = "openhands"
    description = "OpenHands event streams (trajectory JSON, one event per line, or eval output with `history`)"
    sniffs = "events with `id`, `source` user/agent/environment and `action` or `observation`"

    def sniff(self, sample: Sample) -> float:
        first = sample.first
        if _is_event(first):
            return 1.0 if "id" in first else 0.8
        if isinstance(first, dict):
            for key in _HISTORY_KEYS:
                history = first.get(key)
                if isinstance(history, list) and history and _is_event(history[0]):
                    return 0.95
        return 0.0

    def read(self, source: Source, sink: SpanSink) -> None:
        stem = os.path.splitext(os.path.basename(source.path.removesuffix(".gz")))[0]
        stream = _Stream(sink, stem, run_span=True)
        for line, record in source.records():
            history = _history_of(record)
            if history is None:
                stream.event(line, record)
                continue
            # An evaluation output line: one run of its own, its other keys on a root span.
            try:
                run = id_text(record.get("instance_id") or record.get("id"), "instance_id") or f"{stem}:{line}"
            except RecordError as exc:
                sink.quarantine(line, exc.reason, exc.detail, record)
                continue
            sub = _Stream(sink, run, forced_run=run, verdict=_eval_outcome(record))
            root: dict[str, Any] = {"run_id": run, "span_id": "run", "name": "openhands", "kind": "agent", "agent": MAIN_AGENT,
                    "status": "error" if record.get("error") else "unset",
                    "error_message": as_text(record.get("error")),
                    "attributes": {k: v for k, v in record.items() if k not in _HISTORY_KEYS}}
            sub.add(root, line)
            for event in history:
                sub.event(line, event, root="run")
            # The evaluation writes the line when the instance's run is over (run_infer's
            # process_instance returns the EvalOutput after the controller stopped): the run span
            # spans its events, first to last, and has ended.
            if sub.times:
                root["start_time"], root["end_time"] = min(sub.times), max(sub.times)
            sub.close()
        stream.close()


def _history_of(record: Any) -> list[Any] | None:
    if isinstance(record, dict) and not _is_event(record):
        for key in _HISTORY_KEYS:
            if isinstance(record.get(key), list):
                return list(record[key])
    return None


class _Stream:
    """One run's events: open actions waiting for their observation, delegates, usage seen."""

    def __init__(self, sink: SpanSink, default_run: str, forced_run: str | None = None,
                 verdict: dict[str, Any] | None = None, run_span: bool = False) -> None:
        self.sink = sink
        #: A trajectory's runs get a run span each, over their cause-less events (see _run_span).
        self.run_span = run_span
        self.run_times: dict[str, list[int]] = {}
        self.run_lines: dict[str, int] = {}
        #: The evaluation's verdict (an eval output line's), which outranks the agent's own.
        self.verdict = verdict
        #: Per run, the agent's last word on how it ended: ("agent_state", state) or ("finish", task_completed).
        self.final: dict[str, tuple[str, Any]] = {}
        #: Root rows (no cause), held until the end so they can carry the run's @outcome.
        self.roots: list[tuple[int, dict[str, Any]]] = []
        self.default_run = default_run
        self.forced_run = forced_run
        self.open: dict[str, tuple[int, dict[str, Any], dict[str, Any] | None]] = {}
        self.delegates: list[tuple[str, str]] = []
        self.responses: set[str] = set()
        #: Per run, the latest ``llm_metrics.accumulated_cost`` seen, and the step cost of the event
        #: being read (``_step_cost``).
        self.spent: dict[str, float] = {}
        self.step_cost: float | None = None
        #: The events' times, for an evaluation line's run span.
        self.times: list[int] = []

    def event(self, line: int, event: Any, root: str | None = None) -> None:
        try:
            self._event(line, event, root)
        except RecordError as exc:
            self.sink.quarantine(line, exc.reason, exc.detail, event)

    def add(self, row: dict[str, Any], line: int) -> None:
        if row.get("parent_id") is None:
            self.roots.append((line, row))
        else:
            self.sink.add(row, line)

    def close(self) -> None:
        for line, row, _ in self.open.values():
            row["attributes"]["@open"] = "no observation answers this action in the file"
            self.add(row, line)
        self.open.clear()
        for run, times in self.run_times.items():
            self.roots.append((self.run_lines[run], _run_span(run, times, self.final.get(run))))
        for line, row in self.roots:
            outcome = self.verdict or _agent_outcome(self.final.get(row["run_id"]))
            if outcome is not None and isinstance(row.get("attributes"), dict):
                row["attributes"][OUTCOME_KEY] = outcome
            self.sink.add(row, line)
        self.roots.clear()

    def _event(self, line: int, event: Any, root: str | None) -> None:
        if not isinstance(event, dict):
            raise RecordError("not-an-object", f"expected an event object, found {type(event).__name__}")
        if "action" not in event and "observation" not in event:
            raise RecordError("unknown-event", "expected an event with `action` or `observation`, found keys "
                              + ", ".join(sorted(event)[:8]))
        raw_id = event.get("id")
        if raw_id is None or raw_id == "":
            raise RecordError("missing-span-id", f"expected an integer event `id`, found {raw_id!r:.40}")
        if isinstance(raw_id, bool) or not isinstance(raw_id, int | str):
            raise RecordError("invalid-id", f"`id`: expected an integer event id, found {type(raw_id).__name__} {raw_id!r:.40}")
        cause = event.get("cause")
        if cause is not None and (isinstance(cause, bool) or not isinstance(cause, int | str)):
            raise RecordError("invalid-id", f"expected `cause` to be an event id, found {cause!r:.40}")
        run = self.forced_run or next((id_text(event[k], k) for k in _RUN_KEYS if event.get(k)), None) or self.default_run
        when = time_ns(event.get("timestamp"), "timestamp")
        if when is not None:
            self.times.append(when)
        if self.run_span and root is None:
            root = "run"
            times = self.run_times.setdefault(run, [])
            self.run_lines.setdefault(run, line)
            if when is not None:
                times.append(when)
        self.step_cost = self._step_cost(run, event)
        if "observation" in event:
            self._observation(line, event, run, when, root)
        else:
            self._action(line, event, run, when, root)

    def _step_cost(self, run: str, event: dict[str, Any]) -> float | None:
        """What the run spent since the last event that said (module doc, Cost): the rise of
        ``llm_metrics.accumulated_cost``, a running total; None when it did not rise or is absent."""
        metrics = event.get("llm_metrics")
        try:
            total = as_float(metrics.get("accumulated_cost")) if isinstance(metrics, dict) else None
        except ValueError:  # no number: kept in the event's attributes, no cost read
            return None
        if total is None:
            return None
        before = self.spent.get(run, 0.0)
        self.spent[run] = total
        # A total below the last one is another ledger (metrics reset), not money given back.
        return total - before if total > before else None

    def _agent(self, source: Any) -> str | None:
        if source != "agent":
            return None
        return self.delegates[-1][1] if self.delegates else MAIN_AGENT

    def _action(self, line: int, event: dict[str, Any], run: str, when: int | None, root: str | None) -> None:
        action = as_text(event.get("action")) or "action"
        source = event.get("source")
        tcm = event.get("tool_call_metadata")
        args = event.get("args")
        # The agent's finish (AgentFinishAction) is its last word to the user: an answer, read as the
        # run's final answer (final_thought; older releases put it in the event's message, from thought).
        answers = action == "message" or (action == "finish" and source == "agent")
        kind = _ACTION_KINDS.get(action) or ("human" if source == "user" else "llm" if answers else "tool")
        if action == "change_agent_state" and source == "user" and isinstance(args, dict) \
                and args.get("agent_state") in _PERSON_ANSWERS:
            kind = "human"
        held = _held_by_confirmation(args)
        awaiting = held is not None
        if awaiting:
            kind = "event"
        row: dict[str, Any] = {
            "run_id": run, "span_id": str(event["id"]),
            "parent_id": str(event["cause"]) if event.get("cause") is not None else root,
            "name": action, "kind": kind, "agent": self._agent(source), "start_time": when,
            "status": "ok" if action in _INSTANT or awaiting else "unset", "cost_usd": self.step_cost,
        }
        if kind == "tool":
            name = tcm.get("function_name") if isinstance(tcm, dict) else None
            row["tool"] = as_text(name) or action
        if kind in ("human", "llm"):
            said = ("final_thought", "content") if action == "finish" else ("content",)
            content = next((args[k] for k in said if isinstance(args, dict) and args.get(k)), None)
            row["output"] = as_text(content if content is not None else event.get("message"))
        elif kind == "tool" and isinstance(args, dict) and "thought" in args:
            # ``thought`` is the model's narration that came with the call (CodeAct's function
            # calling sets ``action.thought`` from the response's text content,
            # openhands/agenthub/codeact_agent/function_calling.py), no argument of the tool: the
            # same command said with other words is the same call. Kept as an attribute.
            row["input"] = as_text({k: v for k, v in args.items() if k != "thought"})
        else:
            row["input"] = as_text(args)
        if kind == "handoff":
            target = args.get("agent") if isinstance(args, dict) else None
            row["handoff_to"] = as_text(target)
        rest = {k: v for k, v in event.items() if k not in _USED}
        if isinstance(args, dict) and kind in ("human", "llm"):
            extra_args = {k: v for k, v in args.items() if k != "content"}
            if extra_args:
                rest["args"] = extra_args
        if isinstance(tcm, dict):
            self._usage(tcm, row, rest)
        if "source" in event:
            rest["source"] = source
        if kind == "tool" and isinstance(args, dict) and args.get("thought"):
            rest["thought"] = args["thought"]
        if held is not None:
            rest["@awaiting_confirmation" if held == "awaiting_confirmation" else "@rejected_by_user"] = _HELD[held]
        if _waits_for_user(action, source, args):
            # The agent hands the turn to the person: AgentController._handle_message_action sets
            # AWAITING_USER_INPUT on an agent MessageAction with wait_for_response
            # (openhands/controller/agent_controller.py; openhands/events/action/message.py), the state
            # its AgentStateChangedObservation reports. Read as that state (conventions pauses:
            # awaiting_user), so a log without the observation still holds the pause.
            rest["agent_state"] = _AWAITING_INPUT
            self.final[run] = ("agent_state", _AWAITING_INPUT)
        elif action == "message" and source == "user" and self.final.get(run) == ("agent_state", _AWAITING_INPUT):
            # The person's answer: the controller sets the agent RUNNING again on a user message
            # (_handle_message_action), so the wait is over and the turn is the agent's.
            self.final[run] = ("agent_state", "running")
        if action == "change_agent_state" and isinstance(args, dict) and isinstance(args.get("agent_state"), str):
            # The user's answer to a held action (ChangeAgentStateAction, source user: user_confirmed /
            # user_rejected, openhands/events/action/agent.py): the state it asks for, read as the
            # controller's AgentStateChangedObservation is (conventions pauses: agent_state, state_ack);
            # a log without that observation still holds the person's answer.
            rest["agent_state"] = args["agent_state"]
        row["attributes"] = rest
        if action == "finish" and source == "agent":
            done = args.get("task_completed") if isinstance(args, dict) else None
            self.final[run] = ("finish", done)
        if action in _INSTANT or kind in ("human",) or awaiting:
            row["end_time"] = when
            self.add(row, line)
            return
        if kind == "handoff" and row["handoff_to"]:
            self.delegates.append((row["span_id"], row["handoff_to"]))
        self.open[row["span_id"]] = (line, row, tcm if isinstance(tcm, dict) else None)

    def _usage(self, tcm: dict[str, Any], row: dict[str, Any], rest: dict[str, Any]) -> None:
        rest["tool_call_metadata"] = tcm
        response = tcm.get("model_response")
        if not isinstance(response, dict):
            return
        row["model"] = as_text(response.get("model"))
        usage = response.get("usage")
        key = as_text(response.get("id"))
        if not isinstance(usage, dict) or (key is not None and key in self.responses):
            if key is not None and key in self.responses:
                rest["@usage_counted_on_response"] = key
            return
        if key is not None:
            self.responses.add(key)
        row["input_tokens"] = field_value("invalid-value", "model_response.usage.prompt_tokens", as_int,
                                          usage.get("prompt_tokens"))
        row["output_tokens"] = field_value("invalid-value", "model_response.usage.completion_tokens", as_int,
                                           usage.get("completion_tokens"))

    def _observation(self, line: int, event: dict[str, Any], run: str, when: int | None, root: str | None) -> None:
        observation = as_text(event.get("observation")) or "observation"
        cause = str(event["cause"]) if event.get("cause") is not None else None
        error_type, error_message = _observation_error(observation, event)
        opened = self.open.pop(cause, None) if cause is not None else None
        if opened is not None:
            start_line, row, tcm = opened
            row["end_time"] = when
            row["output"] = as_text(event.get("content"))
            still = _still_running(observation, event)
            row["status"] = "error" if error_type else "unset" if still else "ok"
            row["error_type"], row["error_message"] = error_type, error_message
            kept = {k: v for k, v in event.items() if not (k == "tool_call_metadata" and v == tcm)}
            row["attributes"]["@observation"] = kept
            if self.step_cost is not None:
                row["cost_usd"] = (row.get("cost_usd") or 0.0) + self.step_cost
            if still:
                row["attributes"]["@still_running"] = still
            if self.delegates and self.delegates[-1][0] == row["span_id"]:
                self.delegates.pop()
            self.add(row, start_line)
            self.sink.merged(line)
            return
        extras = event.get("extras")
        if observation == "agent_state_changed" and isinstance(extras, dict) and isinstance(extras.get("agent_state"), str):
            self.final[run] = ("agent_state", extras["agent_state"])
        rest = {k: v for k, v in event.items() if k not in _USED or k == "tool_call_metadata"}
        rest["source"] = event.get("source")
        # The controller that stops the agent on an error (AgentController._react_to_exception ->
        # set_agent_state_to(ERROR), reason "AgentStuckInLoopError: ...", openhands/controller/
        # agent_controller.py) is the agent's own: its failure is the agent's, not one no agent owned.
        # Any other state change is the controller's bookkeeping, no agent's work: a delegate's
        # controller announcing loading/running (start_delegate -> set_agent_state_to(RUNNING),
        # written with source agent) is not the delegate taking the work up.
        if error_type == "agent_state_error":
            agent = self._agent("agent")
        elif observation == "agent_state_changed":
            agent = None
        else:
            agent = self._agent(event.get("source"))
        self.add({
            "run_id": run, "span_id": str(event["id"]), "parent_id": cause or root, "name": observation,
            "kind": "event", "agent": agent, "start_time": when, "end_time": when,
            "status": "error" if error_type else "unset" if _still_running(observation, event) else "ok",
            "error_type": error_type, "error_message": error_message, "cost_usd": self.step_cost,
            # A state change says nothing to anyone (AgentStateChangedObservation's content is '';
            # the state is in extras, openhands/events/observation/agent.py): no output, not an
            # empty one. As the run's last root it was read as an empty final answer.
            "output": (as_text(event.get("content")) or None) if observation == "agent_state_changed"
            else as_text(event.get("content")),
            "attributes": rest,
        }, line)


#: AgentState.AWAITING_USER_INPUT (openhands/core/schema/agent.py): the agent waits for the person's next message.
_AWAITING_INPUT: Final = "awaiting_user_input"


def _waits_for_user(action: str, source: Any, args: Any) -> bool:
    """An agent ``message`` with ``wait_for_response`` true: the agent asks and waits for the user
    (MessageAction.wait_for_response, openhands/events/action/message.py; CodeAct sends every reply
    without a tool call so: openhands/agenthub/codeact_agent/function_calling.py response_to_actions).
    A user's message, or an agent's that does not wait, is no pause."""
    return action == "message" and source == "agent" and isinstance(args, dict) and args.get("wait_for_response") is True


#: AgentState values after which the agent acts no more unless someone starts it again: its turn is over.
_TURN_OVER = frozenset({"finished", "error", "rejected", "stopped", "awaiting_user_input", "paused"})


def _run_span(run: str, times: list[int], final: tuple[str, Any] | None) -> dict[str, Any]:
    """The run span of a trajectory: its events (every event without a cause) hang under it.

    The stream is flat: user messages, the agent's actions and the controller's state changes all
    have no ``cause``. Read as roots, each was the run's own report, so one failed action (an edit
    answered with an ErrorObservation, a command that exited 1) made the run report an error,
    whatever the agent then did and said. What the run says of itself is the agent's last word: its
    ``finish`` or its last ``agent_state_changed`` (``@outcome``). The span ends at the last event
    when the agent's turn is over (a finish, or a state after which it does not act again:
    finished, error, rejected, stopped, paused, awaiting_user_input); a stream that stops while the
    agent is loading, running or waiting on a delegate or a confirmation never ended."""
    over = final is not None and (final[0] == "finish" or final[1] in _TURN_OVER)
    failed = final is not None and final[0] == "agent_state" and _STATE_VERDICTS.get(final[1]) == "failure"
    # A chain with no agent: the span is the session's (user messages and controller events hang under it,
    # and would inherit an agent from it).
    return {"run_id": run, "span_id": "run", "name": "openhands", "kind": "chain", "agent": None,
            "start_time": min(times) if times else None, "end_time": max(times) if times and over else None,
            "status": "error" if failed else "ok" if over else "unset",
            "error_message": f"agent_state {final[1]}" if failed and final else None, "attributes": {}}


#: OpenHands AgentState values (openhands/core/schema/agent.py) that end a run, and what they say.
_STATE_VERDICTS = {"finished": "success", "error": "failure", "rejected": "failure"}


def _agent_outcome(final: tuple[str, Any] | None) -> dict[str, Any] | None:
    """The agent's own verdict: its last ``agent_state_changed`` (finished = success, error or
    rejected = failure; stopped, paused, awaiting input = unknown), or its ``finish`` action
    (``task_completed`` "true"/"false"/"partial" when it says, else finishing is its claim of success)."""
    if final is None:
        return None
    what, value = final
    if what == "agent_state":
        return outcome_attribute(_STATE_VERDICTS.get(value, "unknown"), None, "agent_state", value)
    if value is None:
        return outcome_attribute("success", None, "action", "finish")
    verdict = word_verdict(value) if str(value).lower() != "partial" else "unknown"
    return outcome_attribute(verdict, None, "finish.task_completed", value)


def _eval_outcome(record: dict[str, Any]) -> dict[str, Any] | None:
    """An evaluation output line's verdict: the benchmark's ``report.resolved`` (also under
    ``test_result``), else its ``success``/``resolved``/... keys, else a run that ended in an
    ``error`` is a failure."""
    for holder, prefix in ((record.get("report"), "report."), (_dict(record.get("test_result")).get("report"),
                                                                 "test_result.report.")):
        if isinstance(holder, dict) and isinstance(holder.get("resolved"), bool):
            return outcome_attribute("success" if holder["resolved"] else "failure", None, prefix + "resolved",
                                     holder["resolved"])
    found = record_outcome({k: v for k, v in record.items() if k not in ("status", "state")})
    if found is not None:
        return found
    if record.get("error"):
        return outcome_attribute("failure", None, "error", as_text(record["error"]))
    return None


#: What a held copy of an action is (its ``confirmation_state``), kept on its row.
_HELD = {"awaiting_confirmation": "a proposal: OpenHands re-emits the action under a new id once the user confirms or rejects it",
         "rejected": "the user rejected it: the runtime did not run it (UserRejectObservation)"}


def _held_by_confirmation(args: Any) -> str | None:
    """The confirmation state of an action the runtime does not run, else None. In confirmation mode
    the controller emits a runnable action with ``confirmation_state`` (older releases:
    ``is_confirmed``) ``awaiting_confirmation`` and the runtime does not run it; on the user's
    ``change_agent_state`` to user_confirmed/user_rejected, ``AgentController.set_agent_state_to``
    marks the pending action confirmed/rejected and adds it to the stream again, under a new id
    (openhands/controller/agent_controller.py). A confirmed copy is the call the observation answers;
    a rejected one the runtime answers with ``UserRejectObservation`` ("Action has been rejected by
    the user!") without running it (openhands/runtime/impl/action_execution/action_execution_client.py, as runtime/base.py before it). So the awaiting
    and the rejected copies are instants, not calls. ``confirmed`` is every action's default
    (CmdRunAction, openhands/events/action/commands.py): with confirmation mode off, nobody confirmed."""
    if not isinstance(args, dict):
        return None
    for key in ("confirmation_state", "is_confirmed"):
        if args.get(key) in _HELD:
            return str(args[key])
    return None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _observation_error(observation: str, event: dict[str, Any]) -> tuple[str | None, str | None]:
    content = as_text(event.get("content"))
    if observation == "error":
        return "ErrorObservation", content
    extras = event.get("extras")
    if observation == "agent_state_changed" and isinstance(extras, dict) and extras.get("agent_state") == "error":
        # The controller stopped the agent on an error (the reason is the exception text).
        return "agent_state_error", as_text(extras.get("reason")) or content
    if isinstance(extras, dict) and extras.get("error") is True and "last_browser_action_error" in extras:
        # A BrowserOutputObservation whose browser step failed: error=True when BrowserGym's
        # last_action_error is set, or the step raised (content and last_browser_action_error the
        # exception text) (openhands/runtime/browser/utils.py browse; the fields in
        # openhands/events/observation/browse.py, serialised under extras).
        return "browser_action_error", as_text(extras.get("last_browser_action_error")) or content
    if observation == "run" and isinstance(extras, dict):
        metadata = extras.get("metadata")
        code = metadata.get("exit_code") if isinstance(metadata, dict) else extras.get("exit_code")
        if isinstance(code, int) and not isinstance(code, bool) and code not in (0, -1):
            return f"exit_code={code}", content
        found = _not_completed(observation, event)
        if found is not None and _TIMEOUT_TYPES[found.group(1)] is not None:
            return _TIMEOUT_TYPES[found.group(1)], found.group(0).strip("[]\n ")
    return None, None


def _not_completed(observation: str, event: dict[str, Any]) -> re.Match[str] | None:
    """The bash session's notice on a command observed before it completed (exit code -1)."""
    extras = event.get("extras")
    if observation != "run" or not isinstance(extras, dict):
        return None
    metadata = extras.get("metadata")
    code = metadata.get("exit_code") if isinstance(metadata, dict) else extras.get("exit_code")
    if code != -1 or isinstance(code, bool):
        return None
    suffix = as_text(metadata.get("suffix")) if isinstance(metadata, dict) else None
    for text in (suffix, as_text(event.get("content"))):
        found = _NOT_COMPLETED.search(text or "")
        if found is not None:
            return found
    return None


def _still_running(observation: str, event: dict[str, Any]) -> str | None:
    """The no-change timeout's notice, when the observation is one: no verdict on the command.

    The bash session returns after NO_CHANGE_TIMEOUT_SECONDS (30) without new output while the
    command still runs (prev_status NO_CHANGE_TIMEOUT, CmdOutputMetadata() with no exit code) and
    tells the agent to wait by sending '', to send keys, or to interrupt it
    (openhands/runtime/utils/bash.py _handle_nochange_timeout_command, TIMEOUT_MESSAGE_TEMPLATE in
    bash_constants.py); the next command's observation then carries the rest of the output
    ("[Below is the output of the previous command.]") and its exit code. So the command did not
    fail: a dev server started in the foreground answers so and keeps serving. What happened is
    told by what the agent does next (waits, interrupts, or answers over a result it never saw),
    which the detectors read; the span's status is unset (neither ok nor error)."""
    found = _not_completed(observation, event)
    if found is None or _TIMEOUT_TYPES[found.group(1)] is not None:
        return None
    return found.group(0).strip("[]\n ")
