"""OpenAI-style chat transcripts, the commonest agent log of all: ``role``, ``content``,
``tool_calls`` (``id``, ``function.name``, ``function.arguments``), and ``role=tool`` results
answering a ``tool_call_id``.

Framings: one conversation per file, a JSON list of conversations, JSON-lines of conversations,
a bare message list (the file is ``[{role, content}, ...]``), or JSON-lines of single messages
(one conversation). A conversation keeps its messages under ``messages``, ``conversation``,
``traj``, ``trajectory`` or ``history`` (a ``history`` of OpenAI chat messages, unnamed turns or
tool calls, not AG2's group chat with every message named, nor Magentic-One's agent roles:
``_openai_history``); ShareGPT's ``conversations`` with ``from``/``value`` is
read too (``human``/``gpt`` are user/assistant).

One run per conversation, never two merged: run id = the conversation's own id (``id``,
``conversation_id``, ``session_id``, ``task_id``, ...), plus what tells apart transcripts of one
task when the record says (``trial``, ``attempt``, ``retry``, ...: ``<id>:trial=<n>``), else the
file stem (one conversation in the file) or ``<stem>:<n>`` (the n-th record). A run id that still
repeats in the file (a replay with no trial number) takes the record's position: ``<id>:#<n>``.
The root's ``@run_id_from`` says how (``task_id+trial``, ``id+position``, ``file name``, ...).
tau-bench's results file (``tau_bench/run.py``: one JSON list of ``EnvRunResult`` =
``{task_id, reward, info, traj, trial}``) is read this way: one run per (task_id, trial).

Declared outcome (see :mod:`forensics.outcome`): a conversation's ``reward`` (tau-bench: 1 is
success, anything else failure, the reward kept as the score), ``success``/``is_success``/
``resolved``/``is_correct``, or a status word (``state``: ``success``/``max_steps_error``/
``failed``/``max_turns``; ``cancelled_by_user`` is a cancellation, verdict unknown with
``cancelled_by: user``) is written under ``@outcome`` on the root span. The run's state word also
gives the root its status: ``completed`` ok; a failure or a cancellation an error whose type is the
word (the run did not report success). Rows:

* a root span ``conversation`` per run: kind ``agent`` named after the one assistant speaking
  (``assistant`` when unnamed), or ``chain`` when several named assistants share the transcript;
  every other key of the conversation (ids, outcome, reward, metadata) stays in its attributes,
  and an explicit ``error`` key makes it an error;
* ``user`` turns are ``human`` spans, ``system``/``developer`` turns ``event`` spans, assistant
  turns ``llm`` spans (``name`` → agent, ``model`` — the message's, else the conversation's, else a
  ``metadata.model`` tag on either —, ``usage`` tokens), all children of the root;
* each tool call and its result are ONE ``tool`` span, child of the assistant turn that made it:
  ``input`` = the arguments as written, ``output`` = the result's content. Its status stays
  ``ok`` whatever the text says (an error-shaped result is data for the classifier's
  error-as-data rule, not a status the source gave); only an explicit ``error`` field or
  ``is_error: true`` on the result marks it an error, and in a tau-bench result the
  environment's own error answer (``Error: ...``, ``Unknown action ...``: :data:`TAU_BENCH_ERRORS`,
  ``@error_from`` says so). A call never answered is an open span;
  a result with no call is a tool span of its own. ``transfer_to_<agent>`` calls become handoffs
  in finalisation. Legacy ``function_call`` / ``role=function`` pairs are read the same way;
* a request logged with its completion (the request's ``messages`` beside the response's
  ``choices``, as a proxy or an app logging both writes them: openai-python
  ``src/openai/types/chat/chat_completion.py``, ``Choice.message``/``finish_reason``) ends with the
  reply of ``choices[0]`` as the last assistant turn, its ``finish_reason`` in the attributes and the
  response's ``usage`` as its tokens; the other choices (``n`` > 1: alternatives nobody continued)
  stay in the root's attributes.

Times: a message's ``timestamp``/``created_at``/``time``/``created`` when present (a message
without one takes the previous message's). When a conversation has none at all, message i is
given [i s, i+1 s) — an order, not a clock — and every row's attributes say ``time_synthesized``
(the same convention as ``ag2-history``), counted from the conversation's own time where it has one
(``created``/``created_at``/``timestamp``/``time`` on the conversation: OpenAI's chat completion and
thread objects carry ``created`` / ``created_at`` in epoch seconds, openai-python
``src/openai/types/chat/chat_completion.py``, ``src/openai/types/beta/thread.py``), else from the Unix
epoch. The times stay flagged as synthesised either way: only the day is the source's.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from typing import Any, Final

import orjson

from ..conventions.exceptions import TAU_BENCH_ERROR_TYPE
from ..normalize import as_int, as_text, to_ns
from ..outcome import STATUS_KEYS, cancelled_by, record_outcome, state_status, with_outcome
from .base import Loader, Sample, Source, SpanSink
from .otel_common import RecordError, field_value, id_text, time_ns

SECOND_NS: Final = 1_000_000_000
MICROSECOND_NS: Final = 1_000
TIME_NOTE: Final = "the source has no times: message i spans [i s, i+1 s) from the Unix epoch"
#: The same when the conversation gives its own time (``{}``: its key): counted from there.
TIME_NOTE_FROM: Final = "the messages have no times: message i spans [i s, i+1 s) from the conversation's `{}`"
MESSAGE_KEYS: Final = ("messages", "conversation", "conversations", "traj", "trajectory", "history")
_ID_KEYS: Final = ("id", "conversation_id", "session_id", "thread_id", "trajectory_id", "instance_id", "task_id", "uuid")
_TIME_KEYS: Final = ("timestamp", "created_at", "time", "created")
_ROLES: Final = frozenset({"system", "developer", "user", "assistant", "tool", "function", "ipython", "human", "gpt"})
#: The roles of OpenAI's chat messages (ChatCompletionMessageParam), ``function`` the legacy one.
_OPENAI_ROLES: Final = frozenset({"system", "developer", "user", "assistant", "tool", "function"})
_ROLE_ALIASES: Final = {"human": "user", "gpt": "assistant", "developer": "system", "ipython": "tool",
                        "function_call": "assistant", "observation": "tool"}
_WHO_AND_WHEN: Final = frozenset({"question_ID", "mistake_agent", "mistake_step", "ground_truth"})
#: What tells apart transcripts of one task id (tau-bench's `trial`, a retry's attempt number).
TRIAL_KEYS: Final = ("trial", "attempt", "retry", "replay", "repetition", "epoch", "sample_index")
#: tau-bench's results file (tau_bench/run.py writes EnvRunResult.model_dump() in one JSON list).
_TAU_BENCH: Final = frozenset({"task_id", "traj", "reward"})
#: How tau-bench's environment answers a tool call that failed: ``Env.step`` turns a tool's exception
#: into the observation ``f"Error: {e}"`` and a tool name it does not have into ``f"Unknown action
#: {action.name}"`` (sierra-research/tau-bench ``tau_bench/envs/base.py``), and its tools return
#: ``"Error: ..."`` for a failed lookup (``tau_bench/envs/retail/tools/*.py``: ``"Error: user not
#: found"``). The agent appends the observation as the ``role=tool`` content
#: (``tau_bench/agents/tool_calling_agent.py``), so in a results file that text is the call's
#: status, as Claude Code's ``is_error`` and OpenHands' ErrorObservation are. Read only in a
#: tau-bench result: elsewhere an error-shaped text stays data for the error-as-data rule.
TAU_BENCH_ERRORS: Final = ("Error: ", "Unknown action ")
TAU_BENCH_ERROR_NOTE: Final = "tau-bench's environment answered the call with an error (tau_bench/envs/base.py Env.step)"


def _scalar(value: Any) -> bool:
    return isinstance(value, str | int | float) and not isinstance(value, bool) and value != ""


#: ShareGPT's `from` values besides the roles.
_FROM: Final = _ROLES | {"function_call", "observation"}


def _is_message(value: Any) -> bool:
    # A role that is not a string (an object, a list) names no role: test membership only on text,
    # which also keeps an unhashable value from raising out of sniffing.
    if not isinstance(value, dict):
        return False
    role, sender = value.get("role"), value.get("from")
    return (isinstance(role, str) and role in _ROLES) or (isinstance(sender, str) and sender in _FROM)


def _openai_history(messages: list[Any]) -> bool:
    """Whether a ``history`` list holds OpenAI chat messages rather than a multi-agent log.

    AG2's group chat names every message after its speaker (autogen/agentchat/groupchat.py
    GroupChatManager.run_chat: ``if message["role"] != "function": message["name"] = speaker.name``),
    and Magentic-One's log (Who&When) puts the agent in ``role`` ("Orchestrator (thought)",
    "WebSurfer"), no OpenAI role. OpenAI chat messages (openai-python
    ``src/openai/types/chat/chat_completion_message_param.py``: ``role`` system/developer/user/
    assistant/tool, ``name`` optional) carry OpenAI roles only, and tool calls or unnamed turns."""
    dicts = [m for m in messages if isinstance(m, dict)]
    if not dicts or len(dicts) != len(messages):
        return False
    if any("tool_calls" in m or "tool_call_id" in m for m in dicts):
        return True
    roles = [m.get("role") for m in dicts]
    return all(isinstance(r, str) and r in _OPENAI_ROLES for r in roles) and not all("name" in m for m in dicts)


def _metadata_model(record: dict[str, Any]) -> Any:
    """``metadata.model`` of a message or a conversation: where an application tags the model of a
    stored chat (OpenAI's ``metadata``, "16 key-value pairs that can be attached to an object",
    openai-python ``src/openai/types/shared/metadata.py``; a chat log's conversation metadata)."""
    metadata = record.get("metadata")
    return metadata.get("model") if isinstance(metadata, dict) else None


def _message_list(conversation: dict[str, Any]) -> tuple[str, list[Any]] | None:
    for key in MESSAGE_KEYS:
        value = conversation.get(key)
        if isinstance(value, list):
            return key, value
    return None


class ChatMessagesLoader(Loader):
    name = "chat-messages"
    # Its run ids are the file's: a task's id and trial (tau-bench writes one results file per run
    # of the benchmark, ``tau_bench/run.py``, so two runs hold the same ``task_id`` and ``trial``), a
    # file stem, a position, and its span ids are positions in the conversation. The same run id in
    # two files is two runs (forensics.loaders.task_run_ids), never one whose second copy is dropped
    # as duplicate spans.
    runs_per_file = True
    description = "OpenAI-style chat transcripts (role/content/tool_calls/tool_call_id), one or many conversations"
    sniffs = "objects with `messages`/`conversation`/`traj`/`history` lists of {role, content}, or bare role messages"

    def sniff(self, sample: Sample) -> float:
        first = sample.first
        if not isinstance(first, dict):
            return 0.0
        if _is_message(first):
            return 0.8 if "content" in first or "value" in first or "tool_calls" in first else 0.6
        if sample.keys & _WHO_AND_WHEN:
            return 0.3  # Who&When histories: ag2-history's format
        if _TAU_BENCH <= sample.keys:
            return 0.95  # tau-bench results, even when the head cuts the first `traj`
        for key in MESSAGE_KEYS:
            if key not in first:
                continue
            value = first[key]
            if value is ...:  # a head cut inside the list: the key alone
                return 0.6 if key != "history" else 0.4
            if not (isinstance(value, list) and value and _is_message(value[0])):
                continue
            if key != "history":
                return 0.9
            # `history` is also ag2-history's key (0.7): claim it when its messages are OpenAI chat
            # messages (_openai_history), not a group chat's or Magentic-One's.
            return 0.75 if _openai_history(value) else 0.5
        return 0.0

    def read(self, source: Source, sink: SpanSink) -> None:
        stem = os.path.splitext(os.path.basename(source.path.removesuffix(".gz")))[0]
        conversations = list(_one_ahead(self._conversations(source, sink)))
        named: list[tuple[tuple[int, dict[str, Any], list[Any], str | None], str, str]] = []
        for (line, conv, messages, key), is_only in conversations:
            try:
                found = next(((k, id_text(conv[k], k)) for k in _ID_KEYS if conv.get(k) not in (None, "")), None)
            except RecordError as exc:
                sink.quarantine(line, exc.reason, exc.detail, conv)
                continue
            if found is not None and found[1]:
                run, how = found[1], found[0]
                trial = next(((k, conv[k]) for k in TRIAL_KEYS if _scalar(conv.get(k))), None)
                if trial is not None:  # trials/attempts of one task share its id: each is its own run
                    run, how = f"{run}:{trial[0]}={as_text(trial[1])}", f"{how}+{trial[0]}"
            elif is_only:
                run, how = stem, "file name"
            else:
                run, how = f"{stem}:{line}", "file name+position"
            named.append(((line, conv, messages, key), run, how))
        # Ids that still repeat (replays, a task run twice with no trial number) never merge
        # transcripts: each copy is told apart by its position in the file.
        seen = Counter(run for _, run, _ in named)
        for (line, conv, messages, key), run, how in named:
            if seen[run] > 1:
                run, how = f"{run}:#{line}", f"{how}+position"
            _Conversation(sink, run, line, conv, messages, key, how).emit()

    def _conversations(self, source: Source, sink: SpanSink) -> Iterator[tuple[int, dict[str, Any], list[Any], str | None]]:
        loose: list[Any] = []  # JSON-lines of single messages: one conversation
        loose_line = 0
        for line, record in source.records(flatten_arrays=False):
            if isinstance(record, list):
                if record and _is_message(record[0]):
                    yield line, {}, record, None
                    continue
                for k, item in enumerate(record, start=1):
                    yield from self._one(k, item, sink)
                continue
            if _is_message(record) and not _message_list(record):
                loose_line = loose_line or line
                loose.append(record)
                continue
            yield from self._one(line, record, sink)
        if loose:
            yield loose_line, {}, loose, None

    def _one(self, line: int, record: Any, sink: SpanSink) -> Iterator[tuple[int, dict[str, Any], list[Any], str | None]]:
        if not isinstance(record, dict):
            sink.quarantine(line, "not-a-conversation",
                            f"expected a conversation object or a message list, found {type(record).__name__}", record)
            return
        found = _message_list(record)
        if found is None:
            sink.quarantine(line, "missing-messages",
                            f"expected the messages under one of {', '.join(MESSAGE_KEYS)}, found keys "
                            + ", ".join(sorted(record)[:10]), record)
            return
        yield line, record, found[1], found[0]


def _conversation_time(conv: dict[str, Any]) -> tuple[int, str] | None:
    """The conversation's own time (ns) and its note, when it has a readable one; a value that is no
    time stays in the root's attributes and the count starts at the epoch, as with none."""
    for key in _TIME_KEYS:
        try:
            when = to_ns(conv.get(key))
        except ValueError:
            continue
        if when is not None:
            return when, TIME_NOTE_FROM.format(key)
    return None


def _one_ahead(items: Iterator[Any]) -> Iterator[tuple[Any, bool]]:
    """Yield ``(item, is_the_only_item)`` holding one item back, so a file of one conversation is
    told apart from the first of many without reading everything first."""
    first = next(items, None)
    if first is None:
        return
    second = next(items, None)
    if second is None:
        yield first, True
        return
    yield first, False
    yield second, False
    for item in items:
        yield item, False


def _reply(conv: dict[str, Any]) -> tuple[dict[str, Any], set[str]] | None:
    """The completion's reply logged beside its request (module doc): ``choices[0].message`` as an
    assistant message (with the choice's ``finish_reason`` and the response's ``usage``), and the
    conversation keys it now holds (kept on the root otherwise)."""
    choices = conv.get("choices")
    if not (isinstance(choices, list) and choices and isinstance(choices[0], dict)):
        return None
    message = choices[0].get("message")
    if not (isinstance(message, dict) and message.get("role") == "assistant"):
        return None
    reply = dict(message)
    if choices[0].get("finish_reason") is not None:
        reply.setdefault("finish_reason", choices[0]["finish_reason"])
    held = {"choices"} if len(choices) == 1 else set()
    if isinstance(conv.get("usage"), dict) and "usage" not in reply:
        reply["usage"] = conv["usage"]
        held.add("usage")
    return reply, held


class _Conversation:
    def __init__(self, sink: SpanSink, run: str, line: int, conv: dict[str, Any], messages: list[Any],
                 key: str | None, run_id_from: str | None = None) -> None:
        self.sink = sink
        self.run = run
        self.line = line
        self.conv = conv
        replied = _reply(conv) if key is not None else None
        self.held: set[str] = set()
        if replied is not None:
            messages, self.held = [*messages, replied[0]], replied[1]
        self.messages = messages
        self.key = key
        self.run_id_from = run_id_from
        self.session = as_text(conv.get("session_id") or conv.get("thread_id"))
        # A tau-bench result (EnvRunResult): its environment's own words mark a failed tool call.
        self.tau_bench = _TAU_BENCH <= conv.keys()
        self.synthetic = not any(isinstance(m, dict) and any(m.get(k) is not None for k in _TIME_KEYS) for m in messages)
        self.origin, self.time_note = (_conversation_time(conv) if self.synthetic else None) or (0, TIME_NOTE)
        self.pending: dict[str, dict[str, Any]] = {}
        self.pending_functions: list[dict[str, Any]] = []
        # Swarm's active agent after a handoff (see _swarm_handoff): Swarm.run_and_stream stamps every
        # streamed message with the *starting* agent ("sender": agent.name, while the completion is
        # the active_agent's: swarm/core.py), so past a handoff the sender is not the speaker.
        self.active: str | None = None
        self.handed_off = False

    def _row(self, **values: Any) -> dict[str, Any]:
        row = {"run_id": self.run, "session_id": self.session, **values}
        if self.synthetic:
            row["attributes"]["time_synthesized"] = self.time_note
        return row

    def emit(self) -> None:
        valid = [m for m in self.messages if isinstance(m, dict)]
        names = list(dict.fromkeys(_speaker(m) for m in valid if _role(m) == "assistant" and _speaker(m)))
        root_attrs = with_outcome({k: v for k, v in self.conv.items() if k != self.key and k not in self.held},
                                  record_outcome(self.conv))
        if self.run_id_from is not None:
            root_attrs["@run_id_from"] = self.run_id_from
        error = self.conv.get("error")
        times = [self.origin, self.origin + len(self.messages) * SECOND_NS] if self.synthetic else [None, None]
        root = self._row(
            span_id="conversation", parent_id=None, name="conversation",
            kind="chain" if len(names) > 1 else "agent", agent=None if len(names) > 1 else (names[0] if names else "assistant"),
            start_time=times[0], end_time=times[1], status="error" if error else "unset",
            error_message=as_text(error) if error else None, attributes=root_attrs,
        )
        if not error:
            root.update(_state_status(self.conv))
        rows = [root]
        last_time: int | None = None
        for i, message in enumerate(self.messages):
            try:
                rows.extend(self._message(i, message, last_time))
            except RecordError as exc:
                self.sink.quarantine(self.line, exc.reason, f"message {i}: {exc.detail}", message)
                continue
            last_time = rows[-1]["start_time"] if rows[-1]["start_time"] is not None else last_time
        if not self.synthetic:
            starts = [r["start_time"] for r in rows[1:] if r["start_time"] is not None]
            ends = [r["end_time"] for r in rows[1:] if r["end_time"] is not None]
            root["start_time"] = min(starts) if starts else None
            root["end_time"] = max(ends + starts) if starts else None
        speakers = list(dict.fromkeys(r["agent"] for r in rows[1:] if r.get("kind") == "llm" and r.get("agent")))
        if self.handed_off and len(speakers) > 1:  # a Swarm handoff the senders did not show
            root.update(kind="chain", agent=None)
        for row in rows:
            self.sink.add(row, self.line)
        for tool in [*self.pending.values(), *self.pending_functions]:
            tool["attributes"]["@open"] = "no tool result answers this call in the conversation"
            self.sink.add(tool, self.line)

    def _message(self, i: int, message: Any, last_time: int | None) -> list[dict[str, Any]]:
        if not isinstance(message, dict):
            raise RecordError("invalid-message", f"expected a message object, found {type(message).__name__}")
        role = _role(message)
        if role is None:
            raise RecordError("missing-role", "expected a `role` (system/user/assistant/tool), found none")
        start: int | None
        end: int | None
        if self.synthetic:
            start, end = self.origin + i * SECOND_NS, self.origin + (i + 1) * SECOND_NS
        else:
            raw = next((message[k] for k in _TIME_KEYS if message.get(k) is not None), None)
            start = time_ns(raw, "timestamp") if raw is not None else last_time
            end = start
        content = _content(message)
        used = {"role", "from", "content", "value", "name", "tool_calls", "tool_call_id", "function_call", "usage",
                "model", "error", "is_error", *_TIME_KEYS}
        rest = {k: v for k, v in message.items() if k not in used}
        if raw_from := message.get("from"):
            rest["from"] = raw_from
        own_id = message.get("id")
        if isinstance(own_id, str | int) and not isinstance(own_id, bool) and own_id != "":
            span_id = str(own_id)
            rest.pop("id")
        else:
            span_id = f"m{i}"  # position in the message list
        base = {"span_id": span_id, "parent_id": "conversation", "start_time": start, "end_time": end, "status": "ok"}
        if role in ("tool", "function"):
            return self._result(role, message, content, base, rest)
        if role == "assistant":
            return self._assistant(message, content, base, rest)
        if role == "user":
            self.active = None  # a new turn: Swarm.run starts it with the agent it is given (its sender)
        kind = {"user": "human", "system": "event"}.get(role, "event")
        if kind == "event" and role != "system":
            rest["role"] = message.get("role")
        return [self._row(**base, name=role, kind=kind, agent=as_text(message.get("name")) if role != "user" else None,
                          output=content, attributes=rest | ({"name": message["name"]} if role == "user" and message.get("name") else {}))]

    def _assistant(self, message: dict[str, Any], content: str | None, base: dict[str, Any],
                   rest: dict[str, Any]) -> list[dict[str, Any]]:
        raw_usage = message.get("usage")
        usage: dict[str, Any] = raw_usage if isinstance(raw_usage, dict) else {}
        if raw_usage is not None and not usage:
            rest["usage"] = message["usage"]
        speaker = _speaker(message)
        if not message.get("name") and isinstance(message.get("sender"), str):
            if self.active is not None and self.active != speaker:
                speaker = self.active  # the agent handed to speaks; the stale sender stays in attributes
            else:
                rest.pop("sender")  # Swarm's agent: in the agent column
        row = self._row(**base, name="assistant", kind="llm", agent=speaker,
                        model=as_text(message.get("model") or self.conv.get("model") or _metadata_model(message)
                                      or _metadata_model(self.conv)), output=content,
                        input_tokens=field_value("invalid-value", "usage.prompt_tokens", as_int,
                                                 usage.get("prompt_tokens", usage.get("input_tokens"))),
                        output_tokens=field_value("invalid-value", "usage.completion_tokens", as_int,
                                                  usage.get("completion_tokens", usage.get("output_tokens"))),
                        attributes=rest)
        if usage:
            extra = {k: v for k, v in usage.items() if k not in ("prompt_tokens", "completion_tokens", "input_tokens", "output_tokens")}
            if extra:
                rest["usage"] = extra
        if message.get("error"):
            row.update(status="error", error_message=as_text(message["error"]))
        calls = message.get("tool_calls")
        if calls is not None and not isinstance(calls, list):
            raise RecordError("invalid-message", f"expected `tool_calls` to be a list, found {type(calls).__name__}")
        for k, call in enumerate(calls or []):
            if not isinstance(call, dict):
                raise RecordError("invalid-message", f"expected tool call {k} to be an object, found {type(call).__name__}")
            raw_function = call.get("function")
            function: dict[str, Any] = raw_function if isinstance(raw_function, dict) else {}
            call_id = as_text(call.get("id")) or f"{row['span_id']}:call{k}"
            self.pending[call_id] = self._tool(call_id, row, as_text(function.get("name") or call.get("name")),
                                               function.get("arguments", call.get("arguments")),
                                               {kk: v for kk, v in call.items() if kk not in ("id", "function", "type")})
        legacy = message.get("function_call")
        if isinstance(legacy, dict):
            self.pending_functions.append(self._tool(f"{row['span_id']}:function_call", row, as_text(legacy.get("name")),
                                                     legacy.get("arguments"), {}))
        return [row]

    def _tool(self, call_id: str, llm: dict[str, Any], name: str | None, arguments: Any,
              extra: dict[str, Any]) -> dict[str, Any]:
        # Without times (synthesised: message i at i s) the call starts just after the message that
        # made it (1 µs): at the same instant, the order of the two falls to the span-id hash that
        # breaks ties downstream, and a call could sort before the message that decided it (and
        # after the next one). A microsecond, not a nanosecond: the stores keep timestamps to the
        # microsecond, and a finding decided at the call must read back from the store as the time
        # it was found at. A recorded time is kept as written.
        start = llm["start_time"] + MICROSECOND_NS if self.synthetic and llm["start_time"] is not None else llm["start_time"]
        return self._row(span_id=call_id, parent_id=llm["span_id"], name=name, kind="tool", tool=name, agent=llm["agent"],
                         start_time=start, end_time=None, status="unset",
                         input=as_text(arguments), attributes=extra)

    def _result(self, role: str, message: dict[str, Any], content: str | None, base: dict[str, Any],
                rest: dict[str, Any]) -> list[dict[str, Any]]:
        call_id = as_text(message.get("tool_call_id"))
        tool: dict[str, Any] | None = None
        if call_id is not None:
            tool = self.pending.pop(call_id, None)
        elif role == "function" or not self.pending:
            name = as_text(message.get("name"))
            match = next((t for t in self.pending_functions if t["tool"] == name), None)
            if match is not None:
                self.pending_functions.remove(match)
                tool = match
        done: list[dict[str, Any]] = []
        if tool is None:
            name = as_text(message.get("name"))
            tool = self._row(span_id=call_id or base["span_id"], parent_id="conversation", name=name, kind="tool",
                             tool=name, start_time=base["start_time"], attributes={})
            tool["attributes"]["@unmatched_result"] = "no tool call with this id earlier in the conversation"
        tool["end_time"] = base["start_time"] if not self.synthetic else base["end_time"]
        tool["output"] = content
        explicit = message.get("error") or (message.get("is_error") is True)
        env_error = not explicit and self.tau_bench and _tau_bench_error(content)
        tool["status"] = "error" if explicit or env_error else "ok"
        if explicit:
            tool["error_message"] = as_text(message.get("error")) if message.get("error") else content
        elif env_error:
            tool["error_type"], tool["error_message"] = TAU_BENCH_ERROR_TYPE, content
            tool["attributes"]["@error_from"] = TAU_BENCH_ERROR_NOTE
        tool["attributes"]["@result"] = {"index": base["span_id"], **rest} if rest else {"index": base["span_id"]}
        target = _swarm_handoff(message, content)
        if target is not None:
            tool.update(kind="handoff", handoff_to=target)
            self.active, self.handed_off = target, True
        done.append(tool)
        return done


def _tau_bench_error(content: str | None) -> bool:
    """Whether a tau-bench tool result is its environment reporting a failed call
    (:data:`TAU_BENCH_ERRORS`), not data a tool returned."""
    return content is not None and content.startswith(TAU_BENCH_ERRORS)


def _state_status(conv: dict[str, Any]) -> dict[str, Any]:
    """The root's status from the run's own state word (its first :data:`STATUS_KEYS` key holding
    text): a run that ended ``failed`` or at its turn limit (``max_turns``) did not report success,
    and neither did one its user cancelled (``cancelled_by_user``): an error whose type is the word,
    so no rule reads the run as claiming a success it did not (forensics.outcome state_status); a
    ``completed`` run ended ok. The verdict itself is in ``@outcome`` (record_outcome)."""
    key, word = next(((k, conv[k]) for k in STATUS_KEYS if isinstance(conv.get(k), str) and conv[k]), (None, None))
    status = state_status(word)
    if status is None:
        return {}
    if status == "ok":
        return {"status": "ok"}
    who = cancelled_by(word)
    said = (f"the run was cancelled ({key} {word!r})" if who == "unknown"
            else f"the run was cancelled by the {who} ({key} {word!r})" if who
            else f"the run ended in {key} {word!r}")
    return {"status": "error", "error_type": word, "error_message": said}


def _speaker(message: dict[str, Any]) -> str | None:
    """The agent an assistant message is from: its ``name``, else OpenAI Swarm's ``sender`` (swarm/
    core.py Swarm.run: ``message.sender = active_agent.name`` before the message joins the history)."""
    return as_text(message.get("name")) or (as_text(message["sender"]) if isinstance(message.get("sender"), str) and message["sender"] else None)


def _swarm_handoff(message: dict[str, Any], content: str | None) -> str | None:
    """The agent a Swarm tool handed off to: a function returning an Agent is answered with
    ``json.dumps({"assistant": agent.name})`` (swarm/core.py handle_function_result) in a tool message
    that carries Swarm's ``tool_name``; the next agent is that one, whatever the function is called."""
    if not isinstance(message.get("tool_name"), str) or not content or not content.startswith('{"assistant"'):
        return None
    try:
        parsed = orjson.loads(content)
    except orjson.JSONDecodeError:
        return None
    if isinstance(parsed, dict) and len(parsed) == 1 and isinstance(parsed.get("assistant"), str) and parsed["assistant"]:
        return str(parsed["assistant"])
    return None


def _role(message: dict[str, Any]) -> str | None:
    raw = message.get("role", message.get("from"))
    if not isinstance(raw, str) or not raw:
        return None
    return _ROLE_ALIASES.get(raw, raw)


def _content(message: dict[str, Any]) -> str | None:
    content = message.get("content", message.get("value"))
    if isinstance(content, list):
        texts = [p.get("text") for p in content if isinstance(p, dict) and p.get("type") in ("text", "input_text", "output_text")]
        if len(texts) == len(content) and all(isinstance(t, str) for t in texts):
            return "\n".join(t for t in texts if isinstance(t, str))
    return as_text(content)
