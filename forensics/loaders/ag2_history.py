"""Multi-agent conversation histories with no ids or times: AG2 CaptainAgent and Magentic-One,
as published in the Who&When benchmark (``{question, question_ID, history[], mistake_agent,
mistake_step, ...}``).

One span per history entry, in file order:

* span id ``step-<i>`` (``i`` = position in ``history``), parent the previous step (the source is
  a linear conversation), run id ``question_ID`` or the file stem; the ``question_ID`` names a task,
  not a run: records of one file sharing it are ``<question_ID>#<line>``, and files read together
  that share it are ``<question_ID>#<path tail>`` (forensics.loaders.task_run_ids); a question_ID
  that clashes with none stays as it is;
* agent from ``name`` (AG2) or ``role`` (Magentic-One: ``Orchestrator (thought)`` is the
  Orchestrator); ``Orchestrator (-> WebSurfer)`` is a handoff span to ``WebSurfer``;
* the code-execution terminal (``Computer_terminal``, ``ComputerTerminal``) is a tool span whose
  input is the code of the message before it; ``exitcode: N`` with N != 0 makes it an error; its
  agent is left to inheritance, so it belongs to the agent whose code it ran;
* no times exist in the source, so step ``i`` is given [i s, i+1 s) from the Unix epoch, and every
  span's attributes say so (``time_synthesized``). The run's other keys (question, ground truth,
  the benchmark's mistake labels) are kept in the first step's attributes under ``run.<key>``;
  rules never read those (the scorers remove them).

Magentic-One (``autogen_magentic_one``: ``agents/orchestrator.py``, ``agents/base_orchestrator.py``,
``agents/coder.py``, ``agents/multimodal_web_surfer/multimodal_web_surfer.py``) is read for what
its messages mean:

* ``Orchestrator (thought)`` ``Updated Ledger:\n{json}`` is the progress ledger
  (``LedgerOrchestrator.update_ledger``): each question's ``answer`` becomes an attribute
  ``ledger.<key>`` (``is_request_satisfied``, ``is_in_loop``, ``is_progress_being_made``,
  ``next_speaker``, ``instruction_or_question``) and its ``reason`` ``ledger.<key>.reason``;
  a ledger that is not JSON keeps its text and says so (``ledger.parse_error``);
* ``Orchestrator (thought)`` ``Next speaker X`` sets ``orchestrator.next_speaker``; every
  ``Agent (note)`` role keeps its note (``history.note``: thought, termination condition, ...);
* the terminal (``Executor``) answers ``The script ran, then exited with Unix exit code: N`` or
  ``... The Unix exit code was: N``; it runs the code block of the latest message that has one
  (it looks back over the chat, not only at the message before it), so the tool span's input is
  that code; its agent is the terminal itself when the orchestrator handed work to it
  (``Orchestrator (-> ComputerTerminal)``: a worker of the team), else the code's author;
* the terminal's "The code block was not confirmed by the user and so was not run." (its
  ``confirm_execution`` declined the block) keeps the code as input, stays ok (nothing failed) and
  carries ``terminal.declined`` (forensics.conventions.ran_nothing: it ran nothing);
* the web surfer's caught exceptions (``Web surfing error:`` + traceback) and the file surfer's
  undecodable arguments (``File surfer encountered an error decoding JSON arguments: ...``) are
  error spans;
* a message holding ``FINAL ANSWER: x`` (the GAIA template's answer format) carries
  ``final_answer``.

agentchat's ``MagenticOneGroupChat`` names every orchestrator message ``MagenticOneOrchestrator`` and
keeps the progress ledger out of the messages (forensics.conventions.orchestrator_namings, the table
of both namings): the author of its task ledger is the orchestrator, whose message before another
speaker's is a handoff to that speaker (``_orchestrate_step`` broadcasts the instruction, then asks
the next speaker to speak); its task comes from ``user``, the human; its ``CodeExecutorAgent``
(ComputerTerminal) reports "... (POSIX exit code: N)".

A run's own verdict (``is_correct``) is written on its root span as ``@outcome`` (contract 1); a
Magentic-One history without one gets the failure its log declares, if any (``field`` ``log``).
"""

from __future__ import annotations

import os
import re
from collections import Counter
from typing import Any, Final

from ..conventions.orchestrator_namings import NEXT_SPEAKER_PLAN_OPENINGS, PLAN_OPENINGS, TASK_SPEAKERS
from ..normalize import norm_id
from .base import Loader, Sample, Source, SpanSink
from .otel_common import RecordError, id_text

SECOND_NS: Final = 1_000_000_000
TIME_NOTE: Final = "the source has no times: step i spans [i s, i+1 s) from the Unix epoch"

_HANDOFF = re.compile(r"^\s*(?P<src>[^()]+?)\s*\(\s*->\s*(?P<dst>[^)]+?)\s*\)\s*$")
_ROLE_NOTE = re.compile(r"^\s*(?P<agent>[^()]+?)\s*\((?P<note>[^)]*)\)\s*$")
_TERMINAL = re.compile(r"(?i)^computer_?terminal$")
_EXITCODE = re.compile(r"^\s*exitcode:\s*(-?\d+)")
#: Magentic-One's Executor: "The script ran, then exited with Unix exit code: N" / "... The Unix exit code was: N."
#: agentchat's CodeExecutorAgent: "The script ran, then exited with an error (POSIX exit code: N)" /
#: "The script ran but produced no output to console. The POSIX exit code was: N."
#: (autogen_agentchat/agents/_code_executor_agent.py ``execute_code_block``).
_M1_EXITCODE = re.compile(r"(?i)^\s*The script ran\b[^\n]*?\b(?:Unix|POSIX) exit code(?: was)?:\s*(-?\d+)")
_NO_CODE = re.compile(r"(?i)^\s*(There is no code from the last|No code block detected in the messages)")
#: Magentic-One's Executor when its ``confirm_execution`` callback (a person asked to confirm each
#: block) declines the code it found: "The code block was not confirmed by the user and so was not
#: run." (autogen_magentic_one agents/coder.py ``Executor._generate_reply``): the code is the call's
#: input, and nothing ran.
_DECLINED = re.compile(r"(?i)^\s*The code block was not confirmed by the user and so was not run\b")
_LEDGER = re.compile(r"^\s*Updated Ledger:\s*(.*?)\s*$", re.S)
_NEXT_SPEAKER = re.compile(r"^\s*Next speaker\s+(\S.*?)\s*$")
_SURF_ERROR = re.compile(r"^\s*(Web|File) surfing error:")
#: The file surfer's failed step (autogen_magentic_one agents/file_surfer/file_surfer.py
#: ``_generate_reply``; agentchat's FileSurfer the same): model tool-call arguments that are no JSON
#: are answered ``f"File surfer encountered an error decoding JSON arguments: {e}"`` as its message.
_FILE_SURFER_ERROR = re.compile(r"^\s*File surfer encountered an error decoding JSON arguments: ")
#: A traceback's exception line: ``playwright._impl._errors.Error: Page.goto: net::ERR_... at <url>``.
_RAISED_LINE = re.compile(r"^[A-Za-z_][\w.]*(?:Error|Exception|Timeout\w*)(?:\b[^:\n]*)?: \S")
#: The web surfer's observation of a page whose URL is Chromium's error page (see _read_surfer_failure).
_CHROMIUM_ERROR_PAGE = re.compile(r"Here is a screenshot of \[[^\]\n]*\]\((chrome-error://chromewebdata/?)\)")
_CHROMIUM_NET_CODE = re.compile(r"\b(?:net::)?(ERR_[A-Z][A-Z_]+)\b")
_FINAL_ANSWER = re.compile(r"(?im)FINAL ANSWER:\s*(.+?)\s*$")
_LEDGER_KEYS: Final = (
    "is_request_satisfied",
    "is_in_loop",
    "is_progress_being_made",
    "next_speaker",
    "instruction_or_question",
)
_CODE_BLOCK = re.compile(r"```[^\n`]*\n(.*?)```", re.S)
_RUN_KEYS_SKIPPED: Final = ("history",)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    import orjson

    return orjson.dumps(value).decode()


class Ag2HistoryLoader(Loader):
    name = "ag2-history"
    runs_per_file = True
    description = (
        "AG2 / Magentic-One conversation histories (Who&When): one span per message, order from position"
    )
    sniffs = (
        "a JSON object with a `history` list of {content, name|role} messages (question_ID, mistake_agent)"
    )
    suffixes = (".json",)

    def sniff(self, sample: Sample) -> float:
        first = sample.first
        if not isinstance(first, dict):
            return 0.0
        history = first.get("history")
        if not isinstance(history, list):
            # A head cut inside a large file: the keys alone still say a lot.
            if "history" not in sample.keys:
                return 0.0
            return 0.8 if sample.keys & {"question_ID", "question", "mistake_agent"} else 0.4
        if history and not all(
            isinstance(m, dict) and "content" in m and ("name" in m or "role" in m) for m in history[:5]
        ):
            return 0.0
        if sample.keys & {"question_ID", "mistake_agent", "mistake_step"}:
            return 0.95
        return 0.7

    def read(self, source: Source, sink: SpanSink) -> None:
        stem = os.path.splitext(os.path.basename(source.path.removesuffix(".gz")))[0]
        records = list(source.records())
        many = len(records) > 1
        # Repeated trials of one question in one file: each run is ``<question_ID>#<line>``.
        repeated = Counter(
            r.get("question_ID") for _, r in records if isinstance(r, dict) and isinstance(r.get("question_ID"), str | int)
        )
        for line, record in records:
            if not isinstance(record, dict):
                sink.quarantine(
                    line,
                    "not-an-object",
                    f"expected a conversation object with a `history` list, found {type(record).__name__}",
                    record,
                )
                continue
            history = record.get("history")
            if not isinstance(history, list) or not history:
                found = "an empty list" if isinstance(history, list) else type(history).__name__
                sink.quarantine(
                    line,
                    "missing-history",
                    f"expected a non-empty `history` list of messages, found {found}; "
                    "Hint: ag2-history reads Who&When-style {question, history[...]} files",
                    record,
                )
                continue
            try:
                qid = id_text(record.get("question_ID"), "question_ID")
            except RecordError as exc:
                sink.quarantine(line, exc.reason, exc.detail, record)
                continue
            if qid is None:
                run_id = f"{stem}#{line}" if many else stem
            else:
                run_id = f"{qid}#{line}" if repeated[record.get("question_ID")] > 1 else qid
            self._read_history(run_id, record, history, line, sink)

    def _read_history(
        self, run_id: str, record: dict[str, Any], history: list[Any], line: int, sink: SpanSink
    ) -> None:
        run_attrs: dict[str, Any] = {f"run.{k}": v for k, v in record.items() if k not in _RUN_KEYS_SKIPPED}
        outcome = _outcome(record, history)
        if outcome is not None:
            run_attrs["@outcome"] = outcome
        previous_id: str | None = None
        # The latest message with a code block and its speaker: what a terminal message ran.
        last_code: tuple[str, str | None] | None = None
        handed_to: str | None = None  # the target of the latest handoff
        speakers = [_speaker(m) if isinstance(m, dict) else None for m in history]
        leads = _next_speaker_orchestrators(history, speakers)
        for i, msg in enumerate(history):
            if not isinstance(msg, dict):
                sink.quarantine(
                    line,
                    "not-a-message",
                    f"history[{i}] of run {run_id}: expected a message object with content and name/role, "
                    f"found {type(msg).__name__}",
                    msg,
                )
                continue
            row = self._row(run_id, i, msg, previous_id, last_code)
            if speakers[i] in leads:
                _read_instruction(row, i, speakers)
            if row.get("kind") == "tool" and row["name"] == handed_to:
                # Magentic-One hands work to the terminal like to any agent (it is a worker of the
                # team, Executor in coder.py): it answers as itself; attribution still reads the
                # code's author from the code (forensics.attribution).
                row["agent"] = row["name"]
            if row.get("kind") == "handoff":
                handed_to = row.get("handoff_to")
            attrs = row["attributes"]
            if i == 0:
                attrs.update(run_attrs)
            sink.add(row, line)
            previous_id = row["span_id"]
            blocks = _CODE_BLOCK.findall(row["output"] or "")
            if blocks and row.get("kind") != "tool":
                last_code = ("\n".join(b.strip() for b in blocks), row.get("agent"))

    def _row(
        self,
        run_id: str,
        i: int,
        msg: dict[str, Any],
        parent: str | None,
        last_code: tuple[str, str | None] | None,
    ) -> dict[str, Any]:
        name = msg.get("name") if isinstance(msg.get("name"), str) and msg.get("name") else None
        role = msg.get("role") if isinstance(msg.get("role"), str) and msg.get("role") else None
        content = _text(msg.get("content"))
        speaker = name or role or "unknown"
        attrs: dict[str, Any] = {"history.index": i, "time_synthesized": TIME_NOTE}
        if role is not None:
            attrs["history.role"] = role
        if name is not None:
            attrs["history.name"] = name
        for key, value in msg.items():
            if key not in ("content", "name", "role"):
                attrs[f"history.{key}"] = value
        row: dict[str, Any] = {
            "run_id": run_id,
            "span_id": norm_id(f"step-{i}"),
            "parent_id": parent,
            "name": speaker,
            "start_time": i * SECOND_NS,
            "end_time": (i + 1) * SECOND_NS,
            "status": "ok",
            "output": content,
            "attributes": attrs,
        }
        handoff = _HANDOFF.match(speaker)
        noted = _ROLE_NOTE.match(speaker)
        text = content or ""
        if handoff:
            # Magentic-One: "Orchestrator (-> WebSurfer)" is the orchestrator handing work over.
            row.update(kind="handoff", agent=handoff.group("src"), handoff_to=handoff.group("dst"))
        elif _TERMINAL.match(speaker):
            # A tool span. The terminal runs the latest code block in the chat (AG2: the message
            # before it; Magentic-One's Executor looks back past the orchestrator's messages): that
            # code is the call's input and its author the span's agent. Without one, the agent is
            # left to inheritance (load() finalisation: the previous speaker).
            row.update(kind="tool", tool=speaker)
            if _NO_CODE.match(text):
                # It found nothing to run: no input, and the agent is the previous speaker's.
                attrs["terminal.no_code"] = True
                last_code = None
            if _DECLINED.match(text):
                # A person declined the code (the Executor's confirm_execution): it did not run.
                attrs["terminal.declined"] = True
            row["input"] = last_code[0] if last_code is not None else None
            if last_code is not None and last_code[1] is not None:
                row["agent"] = last_code[1]
            code = _EXITCODE.match(text) or _M1_EXITCODE.match(text)
            if code is not None:
                attrs["exitcode"] = int(code.group(1))
                if int(code.group(1)) != 0:
                    row["status"] = "error"
                    row["error_type"] = f"exitcode {code.group(1)}"
                    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
                    row["error_message"] = (lines[-1] if len(lines) > 1 else lines[0])[:500]
        elif speaker.lower() in TASK_SPEAKERS and (name is None or name.lower() in TASK_SPEAKERS):
            # The task's speaker: autogen-magentic-one's ``human``, agentchat's ``user``
            # (forensics.conventions.orchestrator_namings); AG2's ``role: user`` beside a name is an agent.
            row.update(kind="human", agent="human")
        else:
            agent = noted.group("agent") if noted else speaker
            row.update(kind="agent", agent=agent)
            if noted:
                attrs["history.note"] = noted.group("note").strip()
            _read_orchestrator(text, attrs)
            _read_surfer_failure(text, row)
        final = _FINAL_ANSWER.search(text)
        if final is not None:
            attrs["final_answer"] = final.group(1)
        return row


def _speaker(msg: dict[str, Any]) -> str:
    """A message's speaker as ``_row`` names it: its ``name``, else its ``role``."""
    for key in ("name", "role"):
        value = msg.get(key)
        if isinstance(value, str) and value:
            return value
    return "unknown"


def _next_speaker_orchestrators(history: list[Any], speakers: list[str | None]) -> set[str]:
    """The speakers that posted a task ledger in a naming whose instructions address the next
    speaker (agentchat's ``MagenticOneOrchestrator``: forensics.conventions.orchestrator_namings)."""
    return {
        sp
        for sp, msg in zip(speakers, history, strict=True)
        if sp is not None
        and isinstance(msg.get("content"), str)
        and msg["content"].lstrip().startswith(NEXT_SPEAKER_PLAN_OPENINGS)
    }


def _read_instruction(row: dict[str, Any], i: int, speakers: list[str | None]) -> None:
    """An orchestrator message in a naming whose instructions address the next speaker: not its task
    ledger, not its last word (the final answer, ``_prepare_final_answer``), and followed by another
    speaker, it is the ledger's ``instruction_or_question`` broadcast before that participant is
    asked to speak (``_orchestrate_step``): a handoff to the next speaker."""
    text = (row.get("output") or "").lstrip()
    nxt = speakers[i + 1] if i + 1 < len(speakers) else None
    if text.startswith(PLAN_OPENINGS) or nxt is None or nxt == speakers[i] or nxt.lower() in TASK_SPEAKERS:
        return
    row.update(kind="handoff", handoff_to=nxt)


def _read_surfer_failure(text: str, row: dict[str, Any]) -> None:
    """The web surfer's two shapes of a failed step (autogen_magentic_one multimodal_web_surfer.py),
    and the file surfer's one (``_FILE_SURFER_ERROR``).

    A caught exception is its message: ``_generate_reply`` returns ``f"Web surfing error:\n\n{traceback}"``.
    A ``visit_url`` to a host that does not resolve is one (``_visit_page``: ``page.goto`` raises
    Playwright's ``Error: Page.goto: net::ERR_NAME_NOT_RESOLVED at <url>`` and only ``net::ERR_ABORTED``
    of a download is caught), followed by Playwright's ``Call log:``: the error is the exception's
    line, not the call log's last line.

    A click or a page's own redirect that fails raises nothing: Chromium commits its error page,
    whose URL is ``chrome-error://chromewebdata/``, and ``_execute_tool`` describes it like any page
    (``Here is a screenshot of [{page_title}]({self._page.url})``), its OCR holding Chromium's code
    (``ERR_NAME_NOT_RESOLVED``). The navigation failed; the page is the browser's error, not the
    site. A page that only mentions such a code (a forum thread about it) has its own URL: ok."""
    if _FILE_SURFER_ERROR.match(text):
        row["status"] = "error"
        row["error_type"] = "file surfer error"
        row["error_message"] = text.strip()[:500]
        return
    surf = _SURF_ERROR.match(text)
    if surf is not None:
        lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
        raised = [ln for ln in lines if _RAISED_LINE.match(ln)]
        row["status"] = "error"
        row["error_type"] = f"{surf.group(1).lower()} surfing error"
        row["error_message"] = (raised[-1] if raised else lines[-1])[:500]
        return
    error_page = _CHROMIUM_ERROR_PAGE.search(text)
    if error_page is not None:
        code = _CHROMIUM_NET_CODE.search(text)
        row["status"] = "error"
        row["error_type"] = "navigation error"
        row["error_message"] = (
            f"net::{code.group(1)}: " if code else ""
        ) + f"the page did not load (Chromium's error page, {error_page.group(1)})"


def _read_orchestrator(text: str, attrs: dict[str, Any]) -> None:
    """Magentic-One's progress ledger and next-speaker thoughts, as attributes."""
    ledger = _LEDGER.match(text)
    if ledger is not None:
        import orjson

        try:
            doc = orjson.loads(ledger.group(1))
        except orjson.JSONDecodeError as exc:
            attrs["ledger.parse_error"] = str(exc)[:200]
            return
        if not isinstance(doc, dict):
            attrs["ledger.parse_error"] = f"expected a JSON object, found {type(doc).__name__}"
            return
        for key in _LEDGER_KEYS:
            item = doc.get(key)
            if isinstance(item, dict):
                if "answer" in item:
                    attrs[f"ledger.{key}"] = item["answer"]
                if "reason" in item:
                    attrs[f"ledger.{key}.reason"] = item["reason"]
        return
    nxt = _NEXT_SPEAKER.match(text)
    if nxt is not None:
        attrs["orchestrator.next_speaker"] = nxt.group(1)


def _outcome(record: dict[str, Any], history: list[Any]) -> dict[str, Any] | None:
    """The run's own verdict (Who&When's ``is_correct``), in the contract's ``@outcome`` shape;
    without one, the failure its log declares (a Magentic-One orchestrator that ran out of rounds,
    time or replans, or whose ledgers never found the request satisfied:
    forensics.conventions.ledger.log_declared_failure), with ``field`` ``log``."""
    value = record.get("is_correct")
    if not isinstance(value, bool):
        from forensics.conventions.ledger import log_declared_failure

        texts = [m["content"] for m in history if isinstance(m, dict) and isinstance(m.get("content"), str)]
        reason = log_declared_failure(texts)
        if reason is None:
            return None
        return {"verdict": "failure", "field": "log", "reason": reason}
    verdict = "success" if value else "failure"
    return {"verdict": verdict, "score": 1.0 if value else 0.0, "field": "is_correct", "value": value}
