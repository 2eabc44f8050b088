"""Every hostile input, through every loader that reads JSON text.

For each loader a valid record in ITS shape (taken from its fixture or real sample) is written to
a JSON-lines file, the hostile variant goes between two valid ones, and the test asserts:

* the bound held: no exception but a ``ForensicsError``, memory bounded (tracemalloc) where the
  input is built to exhaust it, every test under a timeout;
* the hostile record is in the quarantine with the specific reason, at its line;
* the valid records around it loaded exactly as they load on their own;
* ``records_read == rows + quarantined + merged``.

The loader list comes from the registry: a new loader without a shape here fails
``test_every_registered_loader_is_covered``. A kind that cannot apply to a format is in
``EXCLUDED`` with the reason, and that table is asserted too, so nothing is skipped in silence.
"""

from __future__ import annotations

import functools
import gzip
import os
import tracemalloc
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
import pytest

import forensics
from forensics import Limits
from forensics.errors import ForensicsError
from forensics.loaders import get, names
from forensics.loaders.base import MiB

Record = dict[str, Any]


@dataclass(frozen=True)
class Shape:
    """How one format spells a record, and where its time, id and attributes live."""

    #: A valid record, distinct for each ``i`` (one JSON-lines line).
    record: Callable[[int], Record]
    #: Put ``value`` where this format keeps a span's start time.
    set_time: Callable[[Record, Any], None] | None
    #: Put ``value`` where this format keeps a span (or run) id.
    set_id: Callable[[Record, Any], None]
    #: Put a dict of attributes where this format keeps free-form attributes.
    set_attrs: Callable[[Record, dict[str, Any]], None]
    #: A time value out of 1970..2200 in the type this format's time field has.
    bad_time: Any = "9999-12-31T00:00:00Z"


def _at(*path: str | int) -> Callable[[Record, Any], None]:
    def put(record: Record, value: Any) -> None:
        target: Any = record
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
    return put


def _merge(*path: str | int) -> Callable[[Record, dict[str, Any]], None]:
    """Attributes that a format takes from the record's own unknown keys."""
    def put(record: Record, attrs: dict[str, Any]) -> None:
        target: Any = record
        for key in path:
            target = target[key]
        target.update(attrs)
    return put


def _otlp_attrs(record: Record, attrs: dict[str, Any]) -> None:
    span = record["resourceSpans"][0]["scopeSpans"][0]["spans"][0]
    span["attributes"] = [{"key": k, "value": {"intValue": str(v)}} for k, v in attrs.items()]


def _iso(i: int) -> str:
    return f"2025-06-01T10:{i // 60:02d}:{i % 60:02d}Z"


NS = 1_750_000_000_000_000_000
BAD_NS = 2**63 - 1  # year 2262: outside 1970..2200

SHAPES: dict[str, Shape] = {
    "otel-sdk-json": Shape(
        lambda i: {"name": f"s{i}", "context": {"trace_id": "a" * 32, "span_id": f"{i:016x}"},
                   "kind": "SpanKind.INTERNAL", "parent_id": None, "start_time": _iso(i), "end_time": _iso(i + 1),
                   "status": {"status_code": "OK"}, "attributes": {"gen_ai.agent.name": "a"}},
        _at("start_time"), _at("context", "span_id"), _at("attributes")),
    "any-agent": Shape(  # tests/data/any_agent/spans.jsonl
        lambda i: {"name": "invoke_agent [solo]", "kind": "internal", "parent": None, "start_time": NS + i,
                   "end_time": NS + i + 1, "status": {"status_code": "ok"},
                   "context": {"trace_id": "1234567890123456", "span_id": str(1000 + i)},
                   "attributes": {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "solo"}},
        _at("start_time"), _at("context", "span_id"), _at("attributes"), bad_time=BAD_NS),
    "chat-messages": Shape(  # tests/data/chat_messages/messages.jsonl, as one conversation per line
        lambda i: {"id": f"conv-{i}", "messages": [
            {"role": "user", "content": "first", "created": 1746093600 + i},
            {"role": "assistant", "content": "second", "created": 1746093601 + i}]},
        _at("messages", 0, "created"), _at("id"), _merge("messages", 1), bad_time=1e30),
    "claude-code": Shape(  # tests/data/claude_code/quirks.jsonl
        lambda i: {"type": "user", "timestamp": _iso(i), "parentUuid": None, "isSidechain": False,
                   "sessionId": "s1", "uuid": f"u{i}", "message": {"role": "user", "content": "Fix the test"}},
        _at("timestamp"), _at("uuid"), _merge()),
    "jsonl": Shape(  # tests/data/jsonl/support_bot.jsonl
        lambda i: {"ts": _iso(i), "level": "info", "trace_id": "run-8812", "span_id": f"s{i}",
                   "event": "agent.start", "kind": "agent", "agent": "support-triage"},
        _at("ts"), _at("span_id"), _merge()),
    "langfuse": Shape(  # tests/data/langfuse/observations.jsonl
        lambda i: {"id": f"e{i:015x}", "traceId": "0123456789abcdef0123456789abcdef", "parentObservationId": None,
                   "type": "AGENT", "name": "solo", "startTime": _iso(i), "endTime": _iso(i + 1), "level": "DEFAULT"},
        _at("startTime"), _at("id"), _at("metadata")),
    "langsmith": Shape(  # tests/data/langsmith/dotted_order_only.jsonl
        lambda i: {"id": f"c0000000-0000-4000-8000-{i:012d}", "trace_id": f"c0000000-0000-4000-8000-{i:012d}",
                   "name": "pipeline", "run_type": "chain", "start_time": _iso(i), "end_time": _iso(i + 1),
                   "dotted_order": f"20250601T10{i // 60:02d}{i % 60:02d}000000Zc0000000-0000-4000-8000-{i:012d}",
                   "inputs": {}, "outputs": {}},
        _at("start_time"), _at("id"), _at("extra")),
    "mlflow": Shape(  # tests/data/mlflow/traces.jsonl
        lambda i: {"info": {"trace_id": f"tr-{i:032x}", "state": "OK", "trace_metadata": {}},
                   "data": {"spans": [{"trace_id": "EREREREREREREREREREREQ==", "span_id": f"{i:016x}",
                                       "parent_span_id": None, "name": "a", "start_time_unix_nano": NS + i,
                                       "end_time_unix_nano": NS + i + 1, "status": {"code": "STATUS_CODE_OK"},
                                       "attributes": {"mlflow.spanType": '"AGENT"'}}]}},
        _at("data", "spans", 0, "start_time_unix_nano"), _at("data", "spans", 0, "span_id"),
        _at("data", "spans", 0, "attributes"), bad_time=BAD_NS),
    "openai-agents": Shape(  # tests/data/openai_agents/trace_after_spans.jsonl
        lambda i: {"object": "trace.span", "id": f"span_{i:024x}", "trace_id": "trace_" + "f" * 32,
                   "parent_id": None, "started_at": _iso(i), "ended_at": _iso(i + 1),
                   "span_data": {"type": "agent", "name": "Writer"}, "error": None},
        _at("started_at"), _at("id"), _merge("span_data")),
    "openhands": Shape(  # tests/data/openhands/eval_output.jsonl, one event per line
        lambda i: {"id": i, "timestamp": _iso(i), "source": "agent", "message": "Running command: pytest",
                   "action": "run", "args": {"command": "pytest", "thought": ""}},
        _at("timestamp"), _at("id"), _merge()),
    "openinference": Shape(  # tests/data/openinference/phoenix_rag_spans.json
        lambda i: {"name": "rag-answer", "context": {"trace_id": "6f1b3b9c0d2e4f5a8b7c6d5e4f3a2b1c",
                                                     "span_id": f"{i:016x}"},
                   "span_kind": "AGENT", "parent_id": None, "start_time": _iso(i), "end_time": _iso(i + 1),
                   "status_code": "OK", "status_message": "",
                   "attributes": {"openinference.span.kind": "AGENT", "agent.name": "docs-bot"}, "events": []},
        _at("start_time"), _at("context", "span_id"), _at("attributes")),
    "otel-clickhouse": Shape(  # tests/data/otel_clickhouse/pascal.jsonl
        lambda i: {"Timestamp": f"2025-04-01 10:00:{i:02d}.123456789", "TraceId": "0af7651916cd43dd8448eb211c80319c",
                   "SpanId": f"{i:016x}", "ParentSpanId": "", "SpanName": "ResearchAgent", "SpanKind": "Internal",
                   "ServiceName": "research-svc", "ResourceAttributes": {"service.name": "research-svc"},
                   "SpanAttributes": {"openinference.span.kind": "AGENT"}, "Duration": "4000000000",
                   "StatusCode": "Ok", "StatusMessage": "", "Events.Timestamp": [], "Events.Name": [],
                   "Events.Attributes": []},
        _at("Timestamp"), _at("SpanId"), _at("SpanAttributes")),
    "otlp-json": Shape(  # ../shared/formats/otlp_json
        lambda i: {"resourceSpans": [{"resource": {"attributes": [{"key": "service.name",
                                                                   "value": {"stringValue": "svc"}}]},
                                      "scopeSpans": [{"scope": {"name": "s"}, "spans": [{
                                          "traceId": "5b8efff798038103d269b633813fc60c", "spanId": f"{i:016x}",
                                          "name": "agent", "kind": 1, "startTimeUnixNano": str(NS + i),
                                          "endTimeUnixNano": str(NS + i + 1), "attributes": [],
                                          "status": {"code": 1}}]}]}]},
        _at("resourceSpans", 0, "scopeSpans", 0, "spans", 0, "startTimeUnixNano"),
        _at("resourceSpans", 0, "scopeSpans", 0, "spans", 0, "spanId"), _otlp_attrs, bad_time=str(BAD_NS)),
    "raaf": Shape(  # tests/data/raaf/quirks.jsonl: an end record carries the whole span
        lambda i: {"event": "end", "timestamp": _iso(i + 1), "span": {
            "span_id": f"span_{i}", "trace_id": "trace_1", "parent_id": None, "name": "agent.Triage", "kind": "agent",
            "start_time": _iso(i), "end_time": _iso(i + 1), "attributes": {"agent.name": "Triage"}, "events": [],
            "status": "ok"}},
        _at("span", "start_time"), _at("span", "span_id"), _at("span", "attributes")),
    "auto-json": Shape(  # tests/data/auto_json/custom_agent_run.json's steps, one per line
        lambda i: {"trace_id": "run-7", "id": f"step-{i}", "name": "lookup_order", "type": "tool",
                   "started_at": _iso(i), "ended_at": _iso(i + 1), "attributes": {"order": 1182}},
        _at("started_at"), _at("id"), _at("attributes")),
    "ag2-history": Shape(  # ../shared/datasets/who_and_when_dev, one conversation per line
        lambda i: {"question_ID": f"q{i}", "history": [{"content": "plan it", "role": "human"},
                                                       {"content": "done", "name": "Assistant"}]},
        None, _at("question_ID"), _merge("history", 1)),
}

#: Loaders that do not read JSON text, and why.
NOT_JSON_TEXT = {
    "sql": "reads typed rows through SQLAlchemy, never JSON text (its hostile rows: tests/loaders/test_loader_sql.py)",
    "span-table": "reads forensics' own span table as typed Parquet columns, never JSON text (its hostile rows: "
                  "tests/loaders/test_loader_span_table.py)",
}

KINDS = ("too-deep", "line-too-long", "gzip-bomb", "invalid-utf8", "nan-infinity", "duplicate-key",
         "time-out-of-range", "id-wrong-type", "million-attributes")

#: (loader, kind) → why that kind cannot happen in that format.
EXCLUDED = {
    ("ag2-history", "time-out-of-range"):
        "Who&When histories carry no timestamps: times are synthesised from message order",
}

#: (loader, kind) → why the hostile line still gives some rows: the line holds several records and
#: only the one with the bad value is quarantined.
PARTIAL = {
    ("chat-messages", "time-out-of-range"):
        "a line is a conversation: the message with the bad time is quarantined, its other messages load",
    ("chat-messages", "million-attributes"):
        "a line is a conversation: the message with a million keys is quarantined, its other messages load",
    ("ag2-history", "million-attributes"):
        "a line is a conversation: the message with a million keys is quarantined, its other messages load",
}


def test_every_registered_loader_is_covered() -> None:
    registered = set(names())
    assert set(SHAPES) | set(NOT_JSON_TEXT) == registered, (
        "a loader has no hostile-input shape here (add one to SHAPES) or one was removed: "
        f"missing {sorted(registered - set(SHAPES) - set(NOT_JSON_TEXT))}, stale {sorted(set(SHAPES) - registered)}")
    assert not set(SHAPES) & set(NOT_JSON_TEXT)


def test_exclusions_are_real() -> None:
    for (loader, kind), why in EXCLUDED.items():
        assert loader in SHAPES and kind in KINDS and why
    assert SHAPES["ag2-history"].set_time is None  # the only format without a time field
    assert all(shape.set_time is not None for name, shape in SHAPES.items() if (name, "time-out-of-range") not in EXCLUDED)
    for name in NOT_JSON_TEXT:  # reads a database, not a file of JSON text
        assert not {".json", ".jsonl"} & set(get(name).suffixes), name


# -- building files --------------------------------------------------------------------------------

def _line(record: Record) -> bytes:
    return orjson.dumps(record)


def _with_field(record: Record, raw_field: bytes) -> bytes:
    """The record's JSON with ``raw_field`` (already JSON text) spliced in as its first member."""
    text = _line(record)
    return b"{" + raw_field + b"," + text[1:]


def _hostile_lines(name: str, kind: str) -> tuple[list[bytes], str, Limits | None]:
    """The hostile line(s) for one loader and kind, the reason expected, and any Limits override."""
    shape = SHAPES[name]
    rec = shape.record(2)
    if kind == "too-deep":
        return [_with_field(rec, b'"deep":' + b"[" * 5000 + b"]" * 5000)], "too-deep", None
    if kind == "line-too-long":
        return [_with_field(rec, b'"pad":"' + b"x" * 300_000 + b'"')], "line-too-long", Limits(max_line_bytes=64 * 1024)
    if kind == "invalid-utf8":
        return [_with_field(rec, b'"note":"caf\xc3\x28 \xff\xfe"')], "invalid-utf8", None
    if kind == "nan-infinity":
        return [_with_field(rec, b'"cost":NaN'), _with_field(shape.record(3), b'"cost":-Infinity')], "invalid-json", None
    if kind == "duplicate-key":
        first = next(iter(rec))
        spelled = f"\\u{ord(first[0]):04x}" + first[1:]  # "\u0069d" is "id": the same key, spelled apart
        return [_with_field(rec, f'"{spelled}":"smuggled"'.encode())], "duplicate-key", None
    if kind == "time-out-of-range":
        assert shape.set_time is not None
        shape.set_time(rec, shape.bad_time)
        return [_line(rec)], "invalid-time", None
    if kind == "id-wrong-type":
        other = shape.record(3)
        shape.set_id(rec, {"id": 2})
        shape.set_id(other, [3, 3])
        return [_line(rec), _line(other)], "invalid-id", None
    if kind == "million-attributes":
        # Built once as text and spliced in where this format keeps attributes: a million-key dict
        # serialised fifteen times would be most of this file's run time.
        shape.set_attrs(rec, {"__MILLION__": 0})
        line = _line(rec)
        for one, many in _million_entries().items():
            line = line.replace(one, many)
        assert len(line) > 10_000_000, name
        return [line], "too-many-attributes", None
    raise AssertionError(kind)


@functools.cache
def _million_entries() -> dict[bytes, bytes]:
    """A one-attribute placeholder, as an object member and as an OTLP key-value, → a million of them."""
    return {
        b'{"key":"__MILLION__","value":{"intValue":"0"}}':
            b",".join(b'{"key":"k%d","value":{"intValue":"%d"}}' % (i, i) for i in range(1_000_000)),
        b'"__MILLION__":0': b",".join(b'"k%d":%d' % (i, i) for i in range(1_000_000)),
    }


def _cases() -> Iterator[Any]:
    for name in sorted(SHAPES):
        for kind in KINDS:
            if (name, kind) in EXCLUDED:
                continue
            marks = [pytest.mark.slow] if kind == "million-attributes" else []
            yield pytest.param(name, kind, id=f"{name}-{kind}", marks=marks)


def _load(path: Path, name: str, limits: Limits | None) -> forensics.LoadResult:
    try:
        result = forensics.load(path, format=name, limits=limits)
    except ForensicsError as exc:  # allowed out, but every case here must load the valid records
        pytest.fail(f"{name}: the file failed as a whole instead of quarantining one record: {exc}")
    for account in result.report.files:
        assert account.records_read == account.rows + account.quarantined + account.merged, account
    assert result.spans.num_rows == result.report.rows
    assert result.quarantine.num_rows == result.report.quarantined
    return result


def _rows_by_line(result: forensics.LoadResult) -> dict[int, Counter[tuple[Any, ...]]]:
    out: dict[int, Counter[tuple[Any, ...]]] = {}
    cols = [result.spans[c].to_pylist() for c in ("source_line", "run_id", "span_id", "name", "start_time")]
    for line, *rest in zip(*cols, strict=True):
        out.setdefault(line, Counter())[tuple(rest)] += 1
    return out


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[int, Counter[tuple[Any, ...]]]]:
    """Each loader's rows for valid records 1 and 9 loaded alone (lines 1 and 2)."""
    out = {}
    for name, shape in SHAPES.items():
        path = tmp_path_factory.mktemp("base") / "records.jsonl"  # a few loaders name runs after the file
        path.write_bytes(_line(shape.record(1)) + b"\n" + _line(shape.record(9)) + b"\n")
        result = _load(path, name, None)
        assert result.quarantine.num_rows == 0, (name, result.quarantine.to_pylist())
        by_line = _rows_by_line(result)
        assert set(by_line) == {1, 2}, (name, by_line)
        out[name] = by_line
    return out


@pytest.mark.timeout(120)
@pytest.mark.parametrize(("name", "kind"), list(_cases()))
def test_hostile_record_is_quarantined_and_the_rest_loads(
        name: str, kind: str, tmp_path: Path, baseline: dict[str, dict[int, Counter[tuple[Any, ...]]]]) -> None:
    shape = SHAPES[name]
    valid_before, valid_after = _line(shape.record(1)), _line(shape.record(9))
    if kind == "gzip-bomb":
        path = tmp_path / "records.jsonl.gz"
        with gzip.open(path, "wb", compresslevel=9) as fh:
            fh.write(valid_before + b"\n")
            for _ in range(48):  # 48 MiB of blanks on one "line": ~50 KB compressed
                fh.write(b" " * MiB)
            fh.write(b"\n" + valid_after + b"\n")
        limits: Limits | None = Limits(max_decompressed_bytes=8 * MiB)
        tracemalloc.start()
        result = _load(path, name, limits)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert peak < 40 * MiB, f"{peak / MiB:.0f} MiB held for a bomb cut at 8 MiB"
        assert result.quarantine["reason"].to_pylist() == ["decompressed-too-large"]
        assert "gzip bomb" in result.quarantine["detail"][0].as_py()
        # The records before the bomb are kept; the stream cannot be read past it.
        assert _rows_by_line(result).get(1) == baseline[name][1]
        return
    hostile, reason, limits = _hostile_lines(name, kind)
    last = len(hostile) + 2
    path = tmp_path / "records.jsonl"
    path.write_bytes(b"\n".join([valid_before, *hostile, valid_after]) + b"\n")
    result = _load(path, name, limits)
    reasons = result.quarantine["reason"].to_pylist()
    lines = result.quarantine["source_line"].to_pylist()
    assert set(reasons) == {reason}, f"{name}/{kind}: quarantine {list(zip(lines, reasons, strict=True))}"
    assert set(lines) == set(range(2, last)), f"{name}/{kind}: quarantined lines {lines}"
    by_line = _rows_by_line(result)
    assert by_line.get(1) == baseline[name][1], f"{name}/{kind}: the valid record before changed"
    assert by_line.get(last) == baseline[name][2], f"{name}/{kind}: the valid record after changed"
    hostile_rows = sum(sum(c.values()) for line, c in by_line.items() if line not in (1, last))
    if (name, kind) in PARTIAL:
        assert 0 < hostile_rows < sum(baseline[name][1].values()), f"{name}/{kind}: {hostile_rows} rows"
    else:
        assert hostile_rows == 0, f"{name}/{kind}: rows from the hostile lines {set(by_line) - {1, last}}"


# -- a truly multi-gigabyte line -----------------------------------------------------------------

@pytest.mark.slow
@pytest.mark.timeout(300)
@pytest.mark.parametrize(("size", "max_line"), [
    (3 * 1024 * MiB, Limits().max_line_bytes),
    (96 * MiB, MiB),
], ids=["default-limit-3GiB", "small-limit-96MiB"])
def test_a_multi_gigabyte_line_streams_past_without_being_read_into_memory(
        tmp_path: Path, size: int, max_line: int) -> None:
    """One enormous line (a sparse file: no disk used): only max_line_bytes of it is ever held,
    and the records on either side load. The default limits with a 3 GiB line, and a 96 MiB line
    over a 1 MiB limit (a file over the size load() once split over worker processes: it is now
    read in this process, and the same bound holds)."""
    shape = SHAPES["otel-sdk-json"]
    path = tmp_path / "huge.jsonl"
    head = _line(shape.record(1)) + b"\n" + b'{"name": "'
    tail = b'"}\n' + _line(shape.record(9)) + b"\n"
    with open(path, "wb") as fh:
        fh.write(head)
        fh.seek(len(head) + size)  # a hole of NUL bytes: one line of `size` bytes
        fh.write(tail)
    assert os.stat(path).st_size > size and os.stat(path).st_blocks * 512 < 64 * MiB  # really sparse
    # A file this big is read by the vectorised path (forensics/loaders/vectorised.py): its first use
    # imports DuckDB's Python layer and builds its query (~25 MiB, once per process, whatever the
    # data). Load a small file that way first, so the peak below is the huge line's alone.
    warm = tmp_path / "warm.jsonl"
    warm.write_bytes(_line(shape.record(1)) + b"\n")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FORENSICS_VECTORISED", "1")
        _load(warm, "otel-sdk-json", None)
    tracemalloc.start()
    result = _load(path, "otel-sdk-json", Limits(max_line_bytes=max_line))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    # Slack: one 1 MiB piece, the Arrow tables and the readers' buffers.
    assert peak < max_line + 48 * MiB, f"held {peak / MiB:.0f} MiB for a {size / MiB:,.0f} MiB line " \
                                       f"(max_line_bytes {max_line / MiB:.0f} MiB)"
    assert result.quarantine["reason"].to_pylist() == ["line-too-long"]
    assert f"{size + 12:,} bytes" in result.quarantine["detail"][0].as_py()
    assert result.spans["source_line"].to_pylist() == [1, 3]


# -- JSON held in a string field ----------------------------------------------------------------

#: Formats that parse JSON text out of a field: where it lives, as a setter on the record.
EMBEDDED_JSON: dict[str, Callable[[Record, str], None]] = {
    "mlflow": lambda rec, text: rec["data"]["spans"][0]["attributes"].update({"mlflow.spanInputs": text}),
    "langfuse": _at("metadata"),
    "otel-clickhouse": _at("SpanAttributes"),
}


@pytest.mark.parametrize("name", sorted(EMBEDDED_JSON))
def test_duplicate_key_in_json_text_held_in_a_field(name: str, tmp_path: Path) -> None:
    shape = SHAPES[name]
    rec = shape.record(2)
    EMBEDDED_JSON[name](rec, '{"tool": "ls", "args": {"path": "/tmp", "p\\u0061th": "/etc"}}')
    path = tmp_path / "records.jsonl"
    path.write_bytes(b"\n".join([_line(shape.record(1)), _line(rec), _line(shape.record(9))]) + b"\n")
    result = _load(path, name, None)
    assert list(zip(result.quarantine["source_line"].to_pylist(), result.quarantine["reason"].to_pylist(),
                    strict=True)) == [(2, "duplicate-key")]
    detail = result.quarantine["detail"][0].as_py()
    assert 'key "path"' in detail and "$.args" in detail
    assert sorted(set(result.spans["source_line"].to_pylist())) == [1, 3]


def test_duplicate_key_in_a_sql_json_column(tmp_path: Path) -> None:
    import sqlite3

    db = tmp_path / "spans.db"
    with sqlite3.connect(db) as con:
        con.execute("create table spans (run_id text, span_id text, name text, attributes text)")
        con.executemany("insert into spans values (?, ?, ?, ?)", [
            ("r1", "s1", "ok", '{"tool": "ls"}'),
            ("r1", "s2", "smuggled", '{"tool": "ls", "tool": "rm -rf /"}'),
            ("r1", "s3", "ok", None),
        ])
    con.close()
    result = forensics.load(f"sqlite:///{db}", format="sql", options={"table": "spans"})
    assert result.report.balanced
    assert result.quarantine["reason"].to_pylist() == ["duplicate-key"]
    assert 'key "tool"' in result.quarantine["detail"][0].as_py()
    assert sorted(result.spans["span_id"].to_pylist()) == ["s1", "s3"]


# -- the same hostile records, wrapped in a document ({"trace_id": ..., "spans": [records]}) ---------

#: Loaders whose records stand alone, read through a wrapper by the shared framing.
WRAPPED = ("otel-sdk-json", "otel-clickhouse", "openinference", "jsonl", "claude-code")
#: Kinds that break the document itself: it cannot be trusted as a whole, so it is one quarantined record.
_DOCUMENT_KINDS = ("too-deep", "invalid-utf8", "nan-infinity", "duplicate-key")
#: Kinds confined to one record: that record is quarantined, the wrapper's others load.
_RECORD_KINDS = ("time-out-of-range", "id-wrong-type", "million-attributes")


@pytest.mark.timeout(120)
@pytest.mark.parametrize("kind", [*_DOCUMENT_KINDS, *_RECORD_KINDS])
@pytest.mark.parametrize("name", WRAPPED)
def test_hostile_record_inside_a_wrapper(name: str, kind: str, tmp_path: Path,
                                         baseline: dict[str, dict[int, Counter[tuple[Any, ...]]]]) -> None:
    if kind == "million-attributes" and name != "otel-sdk-json":
        pytest.skip("one loader is enough for the slow case: the check is the sink's, after the framing")
    shape = SHAPES[name]
    hostile, reason, _ = _hostile_lines(name, kind)
    body = b",\n".join([_line(shape.record(1)), *hostile, _line(shape.record(9))])
    path = tmp_path / "wrapped.json"
    path.write_bytes(b'{"trace_id": "wrapper-1",\n "spans": [\n' + body + b"\n]}\n")
    result = _load(path, name, None)
    reasons = result.quarantine["reason"].to_pylist()
    assert set(reasons) == {reason}, f"{name}/{kind}: quarantine {reasons}"
    if kind in _DOCUMENT_KINDS:
        assert result.report.rows == 0 and len(reasons) == 1
        return
    assert len(reasons) == len(hostile)
    expected = baseline[name][1] + baseline[name][2]
    got = Counter(tuple(r) for r in zip(*(result.spans[c].to_pylist() for c in ("run_id", "span_id", "name", "start_time")),
                                        strict=True))
    assert got == expected, f"{name}/{kind}: the valid records around the hostile one changed"
