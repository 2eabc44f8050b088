"""LangSmith runs: exported runs and the SDK's ingest captures.

Shapes accepted (see ../shared/formats/langsmith and FIELDS.md §3):

* exported runs (``read_run``/``list_runs``/the Run object of the docs): one object, a JSON array,
  JSON-lines, or a ``{"runs": [...]}`` payload (the webhook's; its other keys go to ``@batch``);
  nested ``child_runs`` trees are flattened with their parent links;
* the SDK's ingest captures ``{"post": [RunCreate], "patch": [RunUpdate]}``: a patch is folded
  into the posted run with the same id (the JS SDK's patches carry no ``id``: the last segment of
  ``dotted_order`` names the run) and counted as merged. A patch whose post never came is kept as
  a row of its own, flagged ``@patch_without_post``.

Mapping: ``trace_id`` (else the first ``dotted_order`` segment, else the root's own id) is the
run; ``parent_run_id`` (else the nesting, else the previous ``dotted_order`` segment) the parent.
Times are ISO-8601 (aware or naive UTC) or epoch milliseconds (JS SDK); ``dotted_order`` keeps
the SDK's microsecond start order, so it refines a millisecond ``start_time``. ``run_type`` gives
the kind (prompt/parser → chain). LangSmith has no agent run type, so a chain run
is an agent only on evidence (see ``AGENT_EVIDENCE``): it is the LangGraph node or LangChain agent
its metadata names (``lc_agent_name`` equal to its name, or ``langgraph_node`` for a node with a model
call under it or a handoff naming it: not ``__start__``, a router or a plain function node), an OpenAI Agents SDK
agent span (``extra.invocation_params`` with ``tools`` and ``handoffs``), or it is named like an
agent (``*_agent``, ``*Agent``, ``AgentExecutor``). LangGraph's ToolNode (node ``tools``) is never an
agent: its runs belong to the agent graph above them. ``agent`` is an agent run's own name, else the
agent its metadata names, else null (inherited later from the nearest agent ancestor): a request
handler or cron job wrapped around the agents owns nothing. The session is the thread (``extra.metadata.thread_id`` |
``session_id`` | ``conversation_id``); the run's top-level ``session_id`` is LangSmith's
*project* and stays in attributes. Token and cost columns are filled for llm/embedding runs only:
on chain runs LangSmith's ``prompt_tokens``/``total_cost`` are roll-ups of the children and
would count twice.

Declared outcome: a root run's ``feedback_stats`` (the evaluators' scores LangSmith rolls up per
key) go under ``@outcome`` (see :func:`feedback_outcome`).

Every run is buffered until the end of the file, because a patch (or a child's parent) may come
later than the record it completes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from ..normalize import as_float, as_int, as_text
from ..outcome import scores_outcome, with_outcome
from .base import Loader, Sample, Source, SpanSink
from .langsmith_agents import (
    _LOWER_UUID_RE,
    _ancestors,
    _dict,
    _id,
    _inner_model_node,
    _mark_agent_nodes,
    _parent_of,
    _Run,
    _run_owner,
    is_agent_run,
)
from .otel_common import RecordError, time_ns, trace_id

RUN_TYPE_KINDS = {
    "llm": "llm",
    "chain": "chain",
    "tool": "tool",
    "retriever": "retriever",
    "embedding": "embedding",
    "prompt": "chain",
    "parser": "chain",
    "agent": "agent",
}

_STATUS_WORDS = {"success": "ok", "error": "error", "pending": "unset", "running": "unset"}
_THREAD_KEYS = ("thread_id", "session_id", "conversation_id")
# "ValueError('boom')", "openai.RateLimitError: 429 ...", "KeyError: 'x'" → the exception class
# (a CamelCase name, optionally dotted, right before "(" or ": "); "Traceback (most…" is not one.
_ERROR_TYPE_RE = re.compile(r"^\s*((?:[A-Za-z_]\w*\.)*[A-Z]\w*)(?=\(|:\s|:$)")
# The LangSmith SDK records a failed run's error as the formatted traceback (run_helpers /
# RunTree.end: traceback.format_exc()): Python prints each chained exception's section (its
# "Traceback (most recent call last):" header, indented frames, then "Class: message"), joined by the
# "direct cause" / "During handling" lines; the run's own exception is the last section's.
_CHAINED_RE = re.compile(
    r"\n(?:The above exception was the direct cause of the following exception|"
    r"During handling of the above exception, another exception occurred):\n"
)
_DOTTED_SEGMENT_RE = re.compile(r"^(\d{8}T\d{6})(\d{1,6})Z(.+)$")
# Keys whose meaning a column holds; everything else goes to attributes.
_HELD = frozenset({"id", "trace_id", "parent_run_id", "name", "start_time", "end_time", "error",
                   "inputs", "outputs", "child_runs"})


class LangSmithLoader(Loader):
    name = "langsmith"
    description = "LangSmith runs: exports (JSON/JSONL, nested child_runs, webhook `runs`) and SDK {post, patch} ingest captures"
    sniffs = "objects with `run_type` + `dotted_order`/`trace_id`, `{post, patch}` run lists, or `{runs: [...]}` of runs"

    def sniff(self, sample: Sample) -> float:
        first = sample.first
        head = sample.text[:SNIFF_HEAD]
        runs_in_head = '"run_type"' in head or '"dotted_order"' in head
        if isinstance(first, dict):
            keys = first.keys()
            if ("post" in keys or "patch" in keys) and (runs_in_head or _first_of(first, "post", "patch") is not None):
                return 1.0 if runs_in_head else 0.6
            if isinstance(first.get("runs"), list) and runs_in_head:
                return 0.95
            if "run_type" in keys and ({"id", "trace_id", "dotted_order"} & keys):
                return 1.0
            if "dotted_order" in keys and "trace_id" in keys:
                return 0.9
        return 0.7 if '"run_type"' in head and '"dotted_order"' in head else 0.0

    def read(self, source: Source, sink: SpanSink) -> None:
        runs: list[_Run] = []
        by_id: dict[str, _Run] = {}
        patches: list[tuple[int, dict[str, Any]]] = []
        for line, record in source.records():
            if not isinstance(record, dict):
                sink.quarantine(line, "not-a-langsmith-run",
                                f"expected a run object, a {{post, patch}} capture or {{runs: [...]}}, found {type(record).__name__}",
                                record)
                continue
            if ("post" in record or "patch" in record) and "run_type" not in record:
                self._capture(record, line, runs, by_id, patches, sink)
            elif isinstance(record.get("runs"), list):
                batch = {k: v for k, v in record.items() if k != "runs" and v is not None}
                for item in record["runs"]:
                    self._buffer(item, line, runs, by_id, sink, extras={"@batch": batch} if batch else {})
            else:
                self._buffer(record, line, runs, by_id, sink)
        # A post sent twice (a batch re-sent after a lost answer: langsmith-sdk python/langsmith/client.py
        # mounts a urllib3 `Retry` adapter on its session, so a capture proxy sees both) has two copies; each patch completes every copy, so the
        # copy the duplicate-id check keeps is the finished run, not an open one.
        copies: dict[str, list[_Run]] = {}
        if patches:
            for pending in runs:
                try:
                    own = _run_key(pending.record)
                except RecordError:
                    continue
                if own is not None:
                    copies.setdefault(own, []).append(pending)
        for line, patch in patches:
            try:
                key = _run_key(patch)
            except RecordError as exc:
                sink.quarantine(line, exc.reason, exc.detail, patch)
                continue
            target = by_id.get(key) if key is not None else None
            if target is None:
                if key is None:
                    sink.quarantine(line, "missing-span-id",
                                    "expected a patch with `id` or `dotted_order` naming the run it completes, found neither. "
                                    "Hint: a patch without a run id cannot be matched to its post", patch)
                    continue
                orphan = _Run(dict(patch), line, extras={"@patch_without_post": True})
                runs.append(orphan)
                by_id[key] = orphan
                continue
            for copy in copies.get(key, [target]) if key is not None else [target]:
                _merge(copy.record, patch)
            sink.merged(line)
        self._emit(runs, by_id, sink)

    # -- buffering ----------------------------------------------------------------------------

    def _capture(self, record: dict[str, Any], line: int, runs: list[_Run], by_id: dict[str, _Run],
                 patches: list[tuple[int, dict[str, Any]]], sink: SpanSink) -> None:
        # Keys beside post/patch (rare: a project name, a batch id) are kept on every posted run.
        other = {k: v for k, v in record.items() if k not in ("post", "patch") and v is not None}
        extras = {"@capture": other} if other else {}
        for key in ("post", "patch"):
            items = record.get(key)
            if items is None:
                continue
            if not isinstance(items, list):
                sink.quarantine(line, "not-a-langsmith-run", f"expected `{key}` to be a list of runs, found {type(items).__name__}", items)
                continue
            for item in items:
                if key == "post":
                    self._buffer(item, line, runs, by_id, sink, extras)
                elif isinstance(item, dict):
                    patches.append((line, item))
                else:
                    sink.quarantine(line, "not-a-langsmith-run", f"expected a patch object, found {type(item).__name__}", item)

    def _buffer(self, record: Any, line: int, runs: list[_Run], by_id: dict[str, _Run], sink: SpanSink,
                extras: dict[str, Any] | None = None) -> None:
        for run, parent, trace in _flatten(record):
            if not isinstance(run, dict):
                sink.quarantine(line, "not-a-langsmith-run", f"expected a run object, found {type(run).__name__}", run)
                continue
            pending = _Run(run, line, parent, trace, dict(extras or {}))
            runs.append(pending)
            try:
                key = _run_key(run)
            except RecordError:
                key = None  # reported when the row is built
            if key is not None:
                by_id[key] = pending  # the latest post with an id takes its patches

    # -- rows ---------------------------------------------------------------------------------

    def _emit(self, runs: list[_Run], by_id: dict[str, _Run], sink: SpanSink) -> None:
        _mark_agent_nodes(runs, by_id)
        for pending in runs:
            try:
                row = run_row(pending, by_id)
            except RecordError as exc:
                sink.quarantine(pending.line, exc.reason, exc.detail, pending.record)
                continue
            sink.add(row, pending.line)


SNIFF_HEAD = 8192


def _first_of(record: dict[str, Any], *keys: str) -> Any:
    for key in keys:
        items = record.get(key)
        if isinstance(items, list) and items and isinstance(items[0], dict) and ("run_type" in items[0] or "dotted_order" in items[0]):
            return items[0]
    return None


def _flatten(record: Any) -> Iterator[tuple[Any, str | None, str | None]]:
    """A run and its nested ``child_runs``, each with the id and trace its nesting implies."""
    stack: list[tuple[Any, str | None, str | None]] = [(record, None, None)]
    while stack:
        run, parent, trace = stack.pop()
        yield run, parent, trace
        if isinstance(run, dict) and isinstance(run.get("child_runs"), list):
            own = as_text(run.get("id"))
            own_trace = as_text(run.get("trace_id")) or trace or (own if parent is None and not run.get("parent_run_id") else None)
            stack.extend((child, own, own_trace) for child in reversed(run["child_runs"]))


def _run_key(run: dict[str, Any]) -> str | None:
    if run.get("id") is not None:
        return _id(run.get("id"), "id")
    segments = parse_dotted_order(run.get("dotted_order"))
    return segments[-1][1] if segments else None


def _merge(target: dict[str, Any], patch: dict[str, Any]) -> None:
    """A patch completes its post: its non-null fields win; ``extra`` dicts merge one level down."""
    for key, value in patch.items():
        if value is None:
            continue
        if key == "extra" and isinstance(value, dict) and isinstance(target.get("extra"), dict):
            merged = dict(target["extra"])
            for sub, sub_value in value.items():
                if isinstance(sub_value, dict) and isinstance(merged.get(sub), dict):
                    merged[sub] = {**merged[sub], **sub_value}
                else:
                    merged[sub] = sub_value
            target["extra"] = merged
        else:
            target[key] = value


def parse_dotted_order(value: Any) -> list[tuple[int, str]]:
    """``dotted_order`` → ``[(start_ns, run_id)]`` from the root down to the run itself."""
    if value is None or value == "":
        return []
    if not isinstance(value, str):
        raise RecordError("invalid-dotted-order", f"`dotted_order`: expected a string, found {type(value).__name__}")
    return [_dotted_segment(segment) for segment in value.split(".")]


@lru_cache(maxsize=1 << 16)
def _dotted_segment(segment: str) -> tuple[int, str]:
    # Cached: every run repeats all its ancestors' segments, so a deep trace parses each once.
    match = _DOTTED_SEGMENT_RE.match(segment)
    if not match:
        raise RecordError("invalid-dotted-order",
                          f"`dotted_order`: expected segments like 20240101T000000000000Z<run uuid>, found {segment!r:.80}")
    stamp, micros, run = match.groups()
    try:
        base = datetime(int(stamp[0:4]), int(stamp[4:6]), int(stamp[6:8]), int(stamp[9:11]), int(stamp[11:13]),
                        int(stamp[13:15]), tzinfo=UTC)
    except ValueError:
        raise RecordError("invalid-dotted-order", f"`dotted_order`: {stamp!r} is not a date and time") from None
    if not 1970 <= base.year < 2200:  # as normalize.to_ns: beyond 2262 the ns overflow int64 (found by fuzzing)
        raise RecordError("invalid-dotted-order", f"`dotted_order`: {stamp!r} is outside 1970..2200")
    ns = int(base.timestamp()) * 1_000_000_000 + int(micros.ljust(6, "0")) * 1_000
    return ns, _id(run, "dotted_order") or run


def _trace(value: Any, label: str) -> str | None:
    if type(value) is str and len(value) == 36 and _LOWER_UUID_RE.match(value):
        return value
    return trace_id(value, label)


def run_row(pending: _Run, by_id: dict[str, _Run]) -> dict[str, Any]:
    run = pending.record
    dotted = parse_dotted_order(run.get("dotted_order"))
    own = _id(run.get("id"), "id") or (dotted[-1][1] if dotted else None)
    if own is None:
        raise RecordError("missing-span-id", "expected a run `id` (or a `dotted_order` ending in it), found neither")
    parent = _id(run.get("parent_run_id"), "parent_run_id") or _id(pending.nested_parent, "child_runs parent")
    if parent is None and len(dotted) >= 2:
        parent = dotted[-2][1]
    run_id = (_trace(run.get("trace_id"), "trace_id") or (dotted[0][1] if dotted else None)
              or _trace(pending.nested_trace, "child_runs trace") or _trace_by_parents(own, parent, by_id))
    if run_id is None:
        raise RecordError("missing-trace-id",
                          f"run {own} has a parent ({parent}) but no `trace_id` or `dotted_order`, and its ancestry "
                          "is not in the file. Hint: export whole traces, or runs with `trace_id`")
    start = time_ns(run.get("start_time"), "start_time")
    if dotted:
        dotted_start = dotted[-1][0]
        # dotted_order keeps the SDK's µs start order; a ms start_time (JS SDK) is the same instant, coarser.
        if start is None or abs(dotted_start - start) < 1_000_000:
            start = dotted_start
    end = time_ns(run.get("end_time"), "end_time")
    run_type = run.get("run_type")
    kind = RUN_TYPE_KINDS.get(str(run_type).lower()) if run_type is not None else None
    extra = _dict(run.get("extra"))
    metadata = _dict(extra.get("metadata"))
    name = as_text(run.get("name"))
    if kind == "chain" and is_agent_run(name, metadata, extra, pending.works_as_agent) \
            and not _inner_model_node(name, metadata, parent, by_id):
        kind = "agent"
    row: dict[str, Any] = {
        "run_id": run_id,
        "span_id": own,
        "parent_id": parent,
        "name": name,
        "kind": kind or "unknown",
        "start_time": start,
        "end_time": end,
        "input": as_text(run.get("inputs")),
        "output": as_text(run.get("outputs")),
        "session_id": next((as_text(metadata[k]) for k in _THREAD_KEYS if metadata.get(k) not in (None, "")), None),
        # An agent's own run names itself; any other run only when its metadata names the agent it
        # works for. Else null, and the loader's caller inherits it from the nearest agent ancestor:
        # a wrapper chain (an HTTP handler, a cron job) is nobody's agent.
        "agent": name if kind == "agent" else _run_owner(pending, metadata, parent, by_id),
        "tool": name if kind == "tool" else None,
    }
    _status(run, row)
    used = set(_HELD)
    if kind is not None and str(run_type).lower() == kind:
        used.add("run_type")
    if str(run.get("status", "")).lower() in _STATUS_WORDS:
        used.add("status")
    rest: dict[str, Any] = {}
    if kind in ("llm", "embedding"):
        _usage(run, row, metadata, used, rest)
    attrs = {k: v for k, v in run.items() if k not in used and v is not None}
    attrs.update(rest)
    attrs.update(pending.extras)
    if parent is None:  # the root run carries the trace's evaluations
        with_outcome(attrs, feedback_outcome(run.get("feedback_stats")))
    row["attributes"] = attrs
    return row


def feedback_outcome(stats: Any) -> dict[str, Any] | None:
    """A root run's ``feedback_stats`` (``{key: {n, avg, values}}``) as the run's declared outcome:
    each key's ``avg`` (a categorical key with one value: that value), read by name (see
    :func:`forensics.outcome.scores_outcome`: ``correctness`` 1.0 is success, 0 failure; a key
    whose direction is unknown is kept with verdict unknown)."""
    if not isinstance(stats, dict):
        return None
    named: dict[str, Any] = {}
    for key, stat in stats.items():
        if not isinstance(stat, dict):
            continue
        values = stat.get("values")
        if stat.get("avg") is not None:
            named[str(key)] = stat["avg"]
        elif isinstance(values, dict) and len(values) == 1:
            named[str(key)] = next(iter(values))
    return scores_outcome("feedback_stats", named)


def _trace_by_parents(own: str, parent: str | None, by_id: dict[str, _Run]) -> str | None:
    """The root of the ancestry, following parent_run_id through the runs in the file."""
    if parent is None:
        return own  # a root run is its own trace
    last = None
    for current, pending in _ancestors(parent, by_id, {own}):
        run = pending.record
        if run.get("trace_id"):
            return trace_id(run["trace_id"], "trace_id")
        last = current
        if _parent_of(pending) is None:
            return last
    return None  # an ancestor not in the file, or a cycle


def _exception_class(text: str) -> str | None:
    """The exception class an error text names: its first line's ("KeyError: 'x'"), or, for a
    formatted traceback, the exception line of its last section (the first unindented line after
    that section's frames)."""
    match = _ERROR_TYPE_RE.match(text)
    if match or not text.lstrip().startswith("Traceback (most recent call last)"):
        return match.group(1) if match else None
    for line in _CHAINED_RE.split(text)[-1].splitlines():
        if line.strip() and not line[0].isspace() and not line.startswith("Traceback ("):
            found = _ERROR_TYPE_RE.match(line)
            return found.group(1) if found else None
    return None


def _status(run: dict[str, Any], row: dict[str, Any]) -> None:
    error = run.get("error")
    word = _STATUS_WORDS.get(str(run.get("status", "")).lower())
    if error not in (None, "", False):
        text = as_text(error)
        row["status"] = "error"
        row["error_message"] = text
        row["error_type"] = _exception_class(text or "")
    elif word == "error":
        row["status"] = "error"
    elif word == "unset":
        row["status"] = "unset"
    elif word == "ok" or row["end_time"] is not None:
        row["status"] = "ok"
    else:
        row["status"] = "unset"  # posted, never patched: still running when captured


def _usage(run: dict[str, Any], row: dict[str, Any], metadata: dict[str, Any], used: set[str], rest: dict[str, Any]) -> None:
    """Tokens, cost and model of a model call, from the export's fields or the ingest's usage_metadata."""
    outputs = _dict(run.get("outputs"))
    usage = _dict(outputs.get("usage_metadata") or metadata.get("usage_metadata") or _generation_usage(outputs))
    llm_output = _dict(outputs.get("llm_output"))
    # OpenAI-style chat models put ``token_usage`` (prompt_/completion_tokens) in llm_output;
    # ChatAnthropic puts the Messages API's own ``usage`` (input_/output_tokens) there.
    token_usage = _dict(llm_output.get("token_usage"))
    api_usage = _dict(llm_output.get("usage"))
    candidates = {
        "input_tokens": (run.get("prompt_tokens"), usage.get("input_tokens"), token_usage.get("prompt_tokens"),
                         api_usage.get("input_tokens")),
        "output_tokens": (run.get("completion_tokens"), usage.get("output_tokens"), token_usage.get("completion_tokens"),
                          api_usage.get("output_tokens")),
    }
    for column, values in candidates.items():
        value = next((v for v in values if v is not None), None)
        try:
            row[column] = as_int(value)
        except ValueError as exc:
            raise RecordError("invalid-value", f"`{column}`: {exc}") from None
    used.update(("prompt_tokens", "completion_tokens"))
    cost = run.get("total_cost")
    if cost is not None:
        try:
            row["cost_usd"] = as_float(cost)
            used.add("total_cost")
        except ValueError as exc:
            # The docs' example run says "string" here: keep the value, say why it is not a cost.
            rest["@unparsed"] = {"total_cost": str(exc)}
    model = outputs.get("model") or metadata.get("ls_model_name")
    invocation = _dict(_dict(run.get("extra")).get("invocation_params"))
    if model is None:
        model = invocation.get("model") or invocation.get("model_name")
    if model is None and isinstance(run.get("inputs"), dict):
        model = run["inputs"].get("model")
    row["model"] = as_text(model) if isinstance(model, str) else None


def _generation_usage(outputs: dict[str, Any]) -> Any:
    """The ``usage_metadata`` of the first generation's message in an ``LLMResult`` output
    (``generations[0][0].message``, serialised by langchain-core's ``dumpd`` as
    ``{lc, type: constructor, kwargs: {..., usage_metadata}}``): where a chat model with no
    ``token_usage`` in its ``llm_output`` (ChatAnthropic) has its tokens. Later generations of one
    prompt repeat the call's usage (n > 1 choices), so only the first is read."""
    generations = outputs.get("generations")
    first = generations[0] if isinstance(generations, list) and generations else None
    generation = first[0] if isinstance(first, list) and first else None
    message = _dict(_dict(generation).get("message"))
    return _dict(message.get("kwargs")).get("usage_metadata") or message.get("usage_metadata")
