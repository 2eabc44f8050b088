"""Claude Code session transcripts (``~/.claude/projects/<project>/<session>.jsonl``).

Each line is one message of a session: ``type`` user/assistant/system/summary, ``uuid`` and
``parentUuid`` (the conversation chain), ``sessionId``, ``timestamp``, ``isSidechain`` (a
sub-agent started by the ``Task`` tool), and ``message`` in the Anthropic Messages shape. See
../shared/formats/jsonl_app_logs/claude-code-log_representative_messages.jsonl.

Mapping:

* run id and ``session_id``: ``sessionId`` (a line without one takes the file's session so far,
  else the file stem).
* user lines with text: ``human`` spans, the text as ``output`` (what the human produced). The
  summary Claude Code writes after a compaction comes as a user line too (``isCompactSummary: true``,
  src/services/compact/compact.ts ``createUserMessage({content: getCompactUserSummaryMessage(...),
  isCompactSummary: true})``): the model's summary, not a person's turn, so an ``event`` span named
  ``compact_summary`` with the summary as ``output``.
* assistant lines: ``llm`` spans with ``model`` and usage. ``input_tokens`` is the whole prompt:
  ``input_tokens + cache_creation_input_tokens + cache_read_input_tokens`` (the Anthropic API
  counts cached prompt tokens apart; the breakdown stays in attributes). Claude Code writes one
  line per content block of a streamed response, each repeating the response's usage, so usage is
  counted once per ``message.id`` (later lines say ``@usage_counted_on``).
* each ``tool_use`` block: one ``tool`` span (span id = the tool-use id, parent = its assistant
  line, ``input`` = the tool input), closed by the ``tool_result`` with the same ``tool_use_id``
  (end time, ``output``, status error when ``is_error``; ``toolUseResult`` kept in attributes). A
  user line made only of matched tool results is folded into those spans (``sink.merged``).
  ``Task``/``Agent`` tool calls start a sub-agent: they are ``handoff`` spans to
  ``input.subagent_type`` (``general-purpose`` when unnamed). A call the person refused at the
  permission prompt (the result is the CLI's canned "The user doesn't want to proceed with this tool
  use. ..." with ``is_error``: see ``REFUSALS``) did not run and did not fail: its span is an
  ``event`` (status ok, ``@rejected_by_user``) and the user line holding the refusal is the person's
  ``human`` turn under it, not folded.
* sidechains (``isSidechain``): the sub-agent's messages. Their agent is the ``subagent_type`` of
  the Task call whose prompt opened the sidechain (matched by prompt text, the only link the
  transcript keeps), and the sidechain's first message hangs under that Task span; an unmatched
  sidechain is agent ``sidechain``. The main thread's agent is ``claude-code``.
* system lines: ``event`` spans, status error when ``level`` is ``error``. An ``api_error`` line
  that schedules a retry (``retryInMs``/``retryAttempt``/``maxRetries``: the CLI's own "Retrying in
  N seconds… (attempt n/10)", anthropics/claude-code#2919) is one failed attempt of the model
  request that the next assistant line answers: an ``llm`` span of that response's model, and the
  attempts and the response hang under the message that sent the request (the real
  ``parentUuid`` of a re-parented line stays in ``@parentUuid``). Attempts no response followed
  keep no model.
* compaction: the ``compact_boundary`` system line has ``parentUuid: null`` and names the last
  message before the compaction in ``logicalParentUuid`` (Claude Code ``src/utils/sessionStorage.ts``
  ``insertMessageChain``: ``parentUuid: isCompactBoundary ? null : ...``, ``logicalParentUuid:
  isCompactBoundary ? parentUuid``). When that message is in the file the boundary hangs under it,
  so the conversation after the compaction stays one tree with the one before (not a second root);
  a logical parent not in the file (an older transcript) leaves the boundary a root.
* summary lines (``leafUuid``, no id or time of their own): ``event`` spans in the session of
  their leaf message; other typeless bookkeeping lines (file-history snapshots) are ``event``
  spans too, so nothing is dropped.
* a ``tool_use`` whose result never came is an open span (end_time null).
"""

from __future__ import annotations

import os
from typing import Any

from ..normalize import as_int, as_text
from .base import Loader, Sample, Source, SpanSink
from .otel_common import RecordError, field_value, time_ns

MAIN_AGENT = "claude-code"
SIDECHAIN_AGENT = "sidechain"
#: The span name of the summary a compaction leaves (a user line with ``isCompactSummary``).
COMPACT_SUMMARY = "compact_summary"
_DELEGATION_TOOLS = frozenset({"Task", "Agent"})
_MESSAGE_TYPES = frozenset({"user", "assistant", "system"})
_ROW_KEYS = frozenset({"type", "uuid", "parentUuid", "sessionId", "timestamp", "message", "isSidechain"})
#: The CLI's canned tool results for a call the person stopped: refused at the permission prompt
#: (REJECT_MESSAGE, "... The tool use was rejected (eg. if it was a file edit, the new_string was NOT
#: written to the file). STOP what you are doing and wait for the user to tell you how to proceed.",
#: optionally followed by the user's feedback) or cancelled (CANCEL_MESSAGE "The user doesn't want to
#: take this action right now. STOP ..."). Claude Code writes them as the call's ``tool_result`` with
#: ``is_error: true``; the tool never ran. Only the start of the text is read: the CLI's own words.
REFUSALS = ("The user doesn't want to proceed with this tool use.", "The user doesn't want to take this action right now.")
#: Kept on a refused call's span (the key OpenHands' loader gives a call the user rejected).
REFUSED = "@rejected_by_user"


class ClaudeCodeLoader(Loader):
    name = "claude-code"
    description = "Claude Code session transcripts (JSON-lines: uuid/parentUuid, tool_use/tool_result, sidechains)"
    sniffs = "JSON-lines objects with `sessionId`, `uuid` and `type` user/assistant/system (or a leading summary line)"
    suffixes = (".jsonl",)

    def sniff(self, sample: Sample) -> float:
        first = sample.first
        if sample.is_document or not isinstance(first, dict):
            return 0.0
        kind = first.get("type")
        if kind in _MESSAGE_TYPES and "sessionId" in first and "uuid" in first:
            return 1.0
        if kind == "summary" and "leafUuid" in first:
            return 0.9
        if kind == "file-history-snapshot" and "messageId" in first:
            return 0.9
        if kind == "queue-operation" and "sessionId" in first:
            return 0.9  # newer Claude Code files can open with a queued prompt
        return 0.0

    def read(self, source: Source, sink: SpanSink) -> None:
        _Reader(source, sink).read()


class _Reader:
    """One file's state: pending tool calls, sub-agent prompts, sessions of messages."""

    def __init__(self, source: Source, sink: SpanSink) -> None:
        self.source = source
        self.sink = sink
        self.file_run = os.path.splitext(os.path.basename(source.path.removesuffix(".gz")))[0]
        self.session: str | None = None
        #: The first session of the file: bookkeeping lines before any id belong to it.
        self.first_session: str | None = None
        #: tool_use id → (line, row): tool spans waiting for their result.
        self.pending: dict[str, tuple[int, dict[str, Any]]] = {}
        #: Task prompt text → (subagent type, Task span id).
        self.task_prompts: dict[str, tuple[str, str]] = {}
        #: uuid → (session, agent, time) of every message seen (for summaries and sidechains).
        self.seen: dict[str, tuple[str, str, int | None]] = {}
        self.usage_owner: dict[str, str] = {}
        self.summaries: list[tuple[int, dict[str, Any]]] = []
        self.deferred: list[tuple[int, dict[str, Any]]] = []
        #: uuid of a retried api_error line → the message whose model request it was an attempt of.
        self.request_of: dict[str, str | None] = {}
        #: session → failed attempts (line, row) waiting for the response that names their model.
        self.attempts: dict[str, list[tuple[int, dict[str, Any]]]] = {}
        #: uuid of a line folded into tool spans → the span that holds it (the last result's call).
        self.folded: dict[str, str] = {}
        self.last_result = ""

    def read(self) -> None:
        for line, record in self.source.records():
            if not isinstance(record, dict):
                self.sink.quarantine(line, "not-an-object",
                                     f"expected one transcript message object per line, found {type(record).__name__}", record)
                continue
            try:
                self._record(line, record)
            except RecordError as exc:
                self.sink.quarantine(line, exc.reason, exc.detail, record)
        for waiting in self.attempts.values():
            for line, row in waiting:
                self.sink.add(row, line)
        for line, row in self.pending.values():
            row["attributes"]["@open"] = "no tool_result with this tool_use_id in the file"
            self.sink.add(row, line)
        for line, record in self.summaries:
            self._summary(line, record)
        first_session = self.first_session
        for line, record in self.deferred:
            self.session = first_session
            try:
                self._bookkeeping(line, record, at_end=True)
            except RecordError as exc:
                self.sink.quarantine(line, exc.reason, exc.detail, record)

    # -- one line ---------------------------------------------------------------------------

    def _record(self, line: int, record: dict[str, Any]) -> None:
        kind = record.get("type")
        if kind == "summary":
            self.summaries.append((line, record))  # its leaf may come later in the file
            return
        if not isinstance(kind, str) or kind not in _MESSAGE_TYPES:  # an object `type` is unhashable (fuzzing)
            self._bookkeeping(line, record)
            return
        uuid = record.get("uuid")
        if uuid not in (None, "") and not isinstance(uuid, str):
            raise RecordError("invalid-id", f"`uuid`: expected a string, found {type(uuid).__name__} {uuid!r:.40}")
        if not isinstance(uuid, str) or not uuid:
            raise RecordError("missing-span-id", f"expected a `uuid` on a {kind} line, found {uuid!r:.40}")
        message = record.get("message")
        if message is not None and not isinstance(message, dict):
            raise RecordError("invalid-message", f"expected `message` to be an object, found {type(message).__name__}")
        message = message or {}
        content = message.get("content")
        blocks: list[Any] = [{"type": "text", "text": content}] if isinstance(content, str) else list(content or [])
        if not all(isinstance(b, dict) for b in blocks):
            raise RecordError("invalid-message", "expected `message.content` to be text or a list of content-block objects")
        session = as_text(record.get("sessionId")) or self.session or self.file_run
        self.session = session
        self.first_session = self.first_session or session
        start = time_ns(record.get("timestamp"), "timestamp")
        parent = as_text(record.get("parentUuid")) or self._logical_parent(record)
        folded_parent = self.folded.get(parent or "")
        agent, parent = self._agent(record, blocks, parent)
        self.seen[uuid] = (session, agent, start)
        row: dict[str, Any] = {
            "run_id": session, "session_id": session, "span_id": uuid, "parent_id": parent,
            "agent": agent, "start_time": start, "end_time": start, "status": "ok",
        }
        rest = {k: v for k, v in record.items() if k not in _ROW_KEYS}
        if folded_parent is not None:
            # The line it answers was a tool result, folded into its call: the chain goes on from
            # that call (the real parentUuid stays in @parentUuid, as for re-parented attempts).
            rest["@parentUuid"], row["parent_id"] = parent, folded_parent
        if record.get("isSidechain"):
            rest["isSidechain"] = True
        if kind == "assistant":
            self._assistant(line, record, message, blocks, row, rest)
        elif kind == "user":
            if self._user(line, record, message, blocks, row, rest):
                return
        else:
            self._system(record, row, rest)
        row["attributes"] = rest
        if self._retry_attempt(record, row, session):
            self.attempts.setdefault(session, []).append((line, row))
            return
        self.sink.add(row, line)

    def _logical_parent(self, record: dict[str, Any]) -> str | None:
        """A compact boundary's link to the conversation before it, when that message is in the file."""
        logical = as_text(record.get("logicalParentUuid"))
        return logical if logical is not None and (logical in self.seen or logical in self.folded) else None

    def _retry_attempt(self, record: dict[str, Any], row: dict[str, Any], session: str) -> bool:
        """Re-parent the attempts of one model request; hold a failed attempt for its model."""
        parent = row["parent_id"]
        if parent in self.request_of:
            row["attributes"]["@parentUuid"] = parent
            row["parent_id"] = self.request_of[parent]
        if row["kind"] == "llm":
            for line, attempt in self.attempts.pop(session, []):
                attempt["model"] = row["model"]
                self.sink.add(attempt, line)
            return False
        retried = any(record.get(k) is not None for k in ("retryInMs", "retryAttempt"))
        if row["kind"] != "event" or row["status"] != "error" or not retried:
            return False
        row.update(kind="llm", name="assistant", error_type=as_text(record.get("subtype")))
        self.request_of[row["span_id"]] = row["parent_id"]
        return True

    def _agent(self, record: dict[str, Any], blocks: list[dict[str, Any]], parent: str | None) -> tuple[str, str | None]:
        if not record.get("isSidechain"):
            return MAIN_AGENT, parent
        if parent is not None and parent in self.seen and self.seen[parent][1] != MAIN_AGENT:
            return self.seen[parent][1], parent
        # The first message of a sidechain: the Task prompt that started it names the sub-agent.
        text = "\n".join(b.get("text", "") for b in blocks if b.get("type") == "text").strip()
        match = self.task_prompts.get(text)
        if match is not None:
            return match[0], parent or match[1]
        agent_id = record.get("agentId")
        return (f"{SIDECHAIN_AGENT}-{agent_id}" if agent_id else SIDECHAIN_AGENT), parent

    def _assistant(self, line: int, record: dict[str, Any], message: dict[str, Any], blocks: list[dict[str, Any]],
                   row: dict[str, Any], rest: dict[str, Any]) -> None:
        row.update(kind="llm", name="assistant", model=as_text(message.get("model")))
        texts = [b.get("text") for b in blocks if b.get("type") == "text" and b.get("text")]
        row["output"] = "\n".join(str(t) for t in texts) if texts else None
        others = [b for b in blocks if b.get("type") not in ("text", "tool_use")]
        if others:
            rest["@content"] = others  # thinking, server tool blocks: kept as they were
        usage = message.get("usage")
        msg_id = as_text(message.get("id"))
        if isinstance(usage, dict):
            owner = self.usage_owner.setdefault(msg_id, row["span_id"]) if msg_id else row["span_id"]
            if owner == row["span_id"]:
                parts = [field_value("invalid-value", f"message.usage.{k}", as_int, usage.get(k))
                         for k in ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens")]
                numbers = [p for p in parts if p is not None]
                row["input_tokens"] = sum(numbers) if numbers else None
                row["output_tokens"] = field_value("invalid-value", "message.usage.output_tokens", as_int,
                                                   usage.get("output_tokens"))
            else:
                rest["@usage_counted_on"] = owner
            rest["usage"] = usage
        for key in ("id", "stop_sequence", "type", "role"):
            if message.get(key) is not None:
                rest[f"message.{key}"] = message[key]
        if message.get("stop_reason") is not None:
            # The Messages API's own key (anthropic-sdk-python types/message.py Message.stop_reason:
            # end_turn, max_tokens, stop_sequence, tool_use, pause_turn, refusal), kept under that name
            # as the other formats keep finish_reason: "max_tokens" is the output cut at its cap, read
            # where finish_reason "length" is (detectors/base.py TRUNCATED_FINISH).
            rest["stop_reason"] = message["stop_reason"]
        if record.get("isApiErrorMessage") or message.get("error"):
            row["status"] = "error"
            row["error_type"] = as_text(message.get("error")) or "api_error"
            row["error_message"] = row["output"]
        for k, block in enumerate(b for b in blocks if b.get("type") == "tool_use"):
            self._tool_use(line, block, k, row)

    def _tool_use(self, line: int, block: dict[str, Any], index: int, llm: dict[str, Any]) -> None:
        tool_id = as_text(block.get("id")) or f"{llm['span_id']}:tool_use:{index}"
        name = as_text(block.get("name"))
        tool_input = block.get("input")
        tool: dict[str, Any] = {
            "run_id": llm["run_id"], "session_id": llm["session_id"], "span_id": tool_id,
            "parent_id": llm["span_id"], "name": name, "kind": "tool", "tool": name, "agent": llm["agent"],
            "start_time": llm["start_time"], "end_time": None, "status": "unset", "input": as_text(tool_input),
            "attributes": {k: v for k, v in block.items() if k not in ("id", "name", "input", "type")},
        }
        if name in _DELEGATION_TOOLS:
            target = tool_input.get("subagent_type") if isinstance(tool_input, dict) else None
            tool["kind"] = "handoff"
            tool["handoff_to"] = as_text(target) or "general-purpose"
            prompt = tool_input.get("prompt") if isinstance(tool_input, dict) else None
            if isinstance(prompt, str):
                self.task_prompts[prompt.strip()] = (tool["handoff_to"], tool_id)
        self.pending[tool_id] = (line, tool)

    def _user(self, line: int, record: dict[str, Any], message: dict[str, Any], blocks: list[dict[str, Any]],
              row: dict[str, Any], rest: dict[str, Any]) -> bool:
        """Fold tool results into their tool spans; True when the line was only that (merged)."""
        results = [b for b in blocks if b.get("type") == "tool_result"]
        others = [b for b in blocks if b.get("type") != "tool_result"]
        matched = 0
        refusals: list[str] = []
        for block in results:
            if self._tool_result(line, record, block, row, refusals):
                matched += 1
        if refusals and not others:
            # The person refused the call at the permission prompt: their decision is a turn of
            # theirs (a human span, as OpenHands' user_rejected answer), under the call it refused.
            row.update(kind="human", name="user", parent_id=self.last_result, output="\n".join(refusals))
            if matched < len(results):
                rest["@unmatched_tool_results"] = len(results) - matched
            return False
        if results and not others:
            # Only tool results: the line lives on in its tool spans. Matched results were
            # folded into spans already counted; an unmatched one became its own row. A later
            # line whose parentUuid is this one hangs under the last of them (Claude Code chains
            # every line to the one before it, tool results included).
            self.folded[row["span_id"]] = self.last_result
            if matched == len(results):
                self.sink.merged(line)
            return True
        texts = [b.get("text") for b in others if b.get("type") == "text"]
        summary = record.get("isCompactSummary") is True
        row.update(kind="event" if summary else "human", name=COMPACT_SUMMARY if summary else "user",
                   output="\n".join(t for t in texts if t) or None)
        rest_blocks = [b for b in others if b.get("type") != "text"]
        if rest_blocks:
            rest["@content"] = rest_blocks
        unmatched = len(results) - matched
        if unmatched:
            rest["@unmatched_tool_results"] = unmatched
        return False

    def _tool_result(self, line: int, record: dict[str, Any], block: dict[str, Any], user_row: dict[str, Any],
                     refusals: list[str]) -> bool:
        tool_id = as_text(block.get("tool_use_id"))
        entry = self.pending.pop(tool_id, None) if tool_id else None
        content = block.get("content")
        if isinstance(content, list):
            texts = [c.get("text") for c in content if isinstance(c, dict) and c.get("type") == "text"]
            output = "\n".join(t for t in texts if t) if len(texts) == len(content) else as_text(content)
        else:
            output = as_text(content)
        if entry is None:
            # A result whose call is not in this file (a resumed session): a tool span of its own.
            start_line, tool = line, {
                "run_id": user_row["run_id"], "session_id": user_row["session_id"],
                "span_id": tool_id or f"{user_row['span_id']}:tool_result", "parent_id": user_row["parent_id"],
                "kind": "tool", "agent": user_row["agent"], "start_time": user_row["start_time"],
                "attributes": {"@unmatched_result": "no tool_use with this id earlier in the file"},
            }
        else:
            start_line, tool = entry
        tool["end_time"] = user_row["start_time"]
        tool["output"] = output
        self.last_result = tool["span_id"]
        is_error = block.get("is_error") is True
        refused = is_error and output is not None and output.lstrip().startswith(REFUSALS)
        tool["status"] = "error" if is_error and not refused else "ok"
        attrs = tool["attributes"]
        if refused:
            # Not a failure of the tool, which never ran: an instant the person stopped (the call
            # is no tool span, so nothing reads it as done or as failed).
            tool["kind"], tool["tool"], tool["end_time"] = "event", None, tool["start_time"]
            tool.pop("handoff_to", None)
            attrs[REFUSED] = "the user refused the call at Claude Code's permission prompt: it did not run"
            refusals.append(output or "")
        elif is_error:
            tool["error_message"] = output
        attrs["@result_uuid"] = user_row["span_id"]
        if "toolUseResult" in record:
            attrs["toolUseResult"] = record["toolUseResult"]
        extra = {k: v for k, v in block.items() if k not in ("type", "tool_use_id", "content", "is_error")}
        if extra:
            attrs["@tool_result"] = extra
        self.sink.add(tool, start_line)
        return entry is not None

    def _system(self, record: dict[str, Any], row: dict[str, Any], rest: dict[str, Any]) -> None:
        level = as_text(record.get("level"))
        content = record.get("content")
        row.update(kind="event", name=as_text(record.get("subtype")) or "system", output=as_text(content),
                   status="error" if level == "error" else "ok")
        if level == "error":
            row["error_message"] = as_text(content)

    def _summary(self, line: int, record: dict[str, Any]) -> None:
        leaf = as_text(record.get("leafUuid"))
        session, agent, when = self.seen.get(leaf or "", (self.session or self.file_run, MAIN_AGENT, None))
        row = {
            "run_id": session, "session_id": session, "span_id": f"summary:{line}", "parent_id": None,
            "name": "summary", "kind": "event", "agent": agent, "start_time": when, "end_time": when,
            "status": "ok", "output": as_text(record.get("summary")),
            "attributes": {k: v for k, v in record.items() if k not in ("type", "summary")},
        }
        self.sink.add(row, line)

    def _bookkeeping(self, line: int, record: dict[str, Any], at_end: bool = False) -> None:
        kind = as_text(record.get("type"))
        if kind is None:
            raise RecordError("unknown-message-type", "expected `type` user/assistant/system/summary, found none")
        own = as_text(record.get("sessionId"))
        if own is not None:
            self.session = own
            self.first_session = self.first_session or own
        elif self.session is None and not at_end:
            self.deferred.append((line, record))  # a snapshot before any session id: wait for one
            return
        session = own or self.session or self.file_run
        snapshot = record.get("snapshot")
        raw_time = record.get("timestamp")
        if raw_time is None and isinstance(snapshot, dict):
            raw_time = snapshot.get("timestamp")  # file-history snapshots keep their time inside
        when = time_ns(raw_time, "timestamp")
        row = {
            "run_id": session, "session_id": session,
            "span_id": as_text(record.get("uuid")) or f"{kind}:{line}", "parent_id": as_text(record.get("parentUuid")),
            "name": kind, "kind": "event", "agent": MAIN_AGENT, "start_time": when, "end_time": when,
            "status": "ok", "attributes": {k: v for k, v in record.items() if k != "type"},
        }
        self.sink.add(row, line)
