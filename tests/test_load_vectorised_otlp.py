"""The vectorised read of OTLP/JSON requests one per line (forensics/loaders/vectorised_otlp.py,
issue 15 item 1) gives the very tables the per-record loader gives: every column (the attribute JSON
text and the source line included), the quarantine with the same reasons at the same lines, the
same accounting.

Compared on every OTLP/JSON file we hold (sample_logs, tests/data, ../shared/formats when present),
read as it is and rewritten one request per line (so the real exporters' layouts reach the
vectorised path), on generated nights, and on a file of hostile lines between good ones; each
hostile line is shown to be one the vectorised path handed over, and each near miss one it mapped.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from realdata import DATA, FORMATS, REPO

import forensics
from forensics.loaders import registry, vectorised_otlp
from forensics.loaders.base import Limits

FORMAT = "otlp-json"


def _both(path: Path, monkeypatch: pytest.MonkeyPatch, limits: Limits | None = None,
          format: str | None = FORMAT) -> tuple[forensics.LoadResult, forensics.LoadResult]:
    monkeypatch.delenv("FORENSICS_VECTORISED", raising=False)
    monkeypatch.setenv("FORENSICS_VECTORISED_OTLP", "0")
    per_record = forensics.load(path, format=format, limits=limits)
    monkeypatch.setenv("FORENSICS_VECTORISED_OTLP", "1")
    fast = forensics.load(path, format=format, limits=limits)
    return per_record, fast


def _assert_identical(per_record: forensics.LoadResult, fast: forensics.LoadResult, where: object) -> None:
    for name in per_record.spans.column_names:  # say which column differs first
        assert fast.spans.column(name).equals(per_record.spans.column(name)), (where, name)
    assert fast.spans.equals(per_record.spans, check_metadata=True), where
    assert fast.quarantine.equals(per_record.quarantine, check_metadata=True), where
    a, b = per_record.report.files[0], fast.report.files[0]
    assert (b.records_read, b.rows, b.quarantined, b.merged, b.reasons) == \
        (a.records_read, a.rows, a.quarantined, a.merged, a.reasons), where


def _mapped_lines(path: Path, limits: Limits | None = None) -> set[int]:
    """The lines the vectorised path mapped itself (not those it handed to the per-record loader)."""
    return set(vectorised_otlp.read(str(path), str(path), limits or Limits()).mapped_lines.tolist())


def _otlp_files() -> list[Path]:
    found = []
    for root in (REPO / "sample_logs", DATA, FORMATS):
        if not root.is_dir():
            continue
        for path in sorted(root.rglob("*")):
            if not path.is_file() or path.suffix not in (".json", ".jsonl", ".ndjson"):
                continue
            try:
                if registry.sniff_file(str(path), Limits()).format == FORMAT:
                    found.append(path)
            except forensics.ForensicsError:
                continue
    return found


def _as_lines(path: Path, out: Path) -> Path | None:
    """A document or JSON-lines file of OTLP trace requests rewritten one request per line (None: no spans)."""
    text = path.read_bytes()
    try:
        requests = [orjson.loads(text)]
    except orjson.JSONDecodeError:
        requests = [orjson.loads(line) for line in text.splitlines() if line.strip()]
    requests = [r for r in requests if isinstance(r, dict) and r.get("resourceSpans")]
    if not requests:
        return None
    out.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in requests * 3))
    return out


def test_identical_tables_on_every_otlp_file_we_hold(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = _otlp_files()
    assert len([f for f in files if f.parent.name == "sample_logs"]) >= 7, files
    ours = 0
    for path in files:
        per_record, fast = _both(path, monkeypatch, format=None)  # as it is, sniffed as a user loads it
        _assert_identical(per_record, fast, path)
        lines = _as_lines(path, tmp_path / (path.stem + ".lines.jsonl"))
        if lines is None:
            continue
        per_record, fast = _both(lines, monkeypatch)
        _assert_identical(per_record, fast, path)
        assert vectorised_otlp.eligible(str(lines), Limits()), path
        if path.parent.name in ("sample_logs", "dev"):
            # Our writers' requests are all mapped in DuckDB. otlp2parquet's base64 ids and the
            # proto example's scope attributes and kind after the times go record by record.
            assert len(_mapped_lines(lines)) == len(lines.read_bytes().splitlines()), path
            ours += 1
    assert ours >= 13


@pytest.mark.parametrize("seed", [3, 17])
def test_identical_tables_on_a_generated_night(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seed: int) -> None:
    from forensics.synth.generator import generate

    path = tmp_path / "night.otlp.jsonl"
    generate(150, path, format=FORMAT, seed=seed)
    per_record, fast = _both(path, monkeypatch)
    assert per_record.spans.num_rows > 150 * 10
    _assert_identical(per_record, fast, path)
    # Every line is mapped in DuckDB, those with exception events and errors too.
    assert b'"name":"exception"' in path.read_bytes()
    assert _mapped_lines(path) == set(range(1, 151))


def _kv(key: str, value: dict[str, Any]) -> dict[str, Any]:
    return {"key": key, "value": value}


def _request(i: int, **changes: Any) -> dict[str, Any]:
    span: dict[str, Any] = {
        "traceId": f"{i + 1:032x}", "spanId": f"{i + 1:016x}", "parentSpanId": f"{i + 100:016x}",
        "name": f"chat {i}", "kind": 3,
        "startTimeUnixNano": "1763596840049462719", "endTimeUnixNano": "1763596841049462719",
        "attributes": [
            _kv("gen_ai.operation.name", {"stringValue": "chat"}),
            _kv("gen_ai.request.model", {"stringValue": "gpt-4.1"}),
            _kv("gen_ai.agent.name", {"stringValue": "planner"}),
            _kv("gen_ai.usage.input_tokens", {"intValue": str(10 + i)}),
            _kv("gen_ai.usage.output_tokens", {"intValue": 7}),
            _kv("note", {"stringValue": "héllo “quoted” \\ / 😀"}),
            _kv("ratio", {"doubleValue": 0.25}),
            _kv("flag", {"boolValue": True}),
            _kv("list", {"arrayValue": {"values": [{"stringValue": "a"}, {"intValue": "2"}, {"doubleValue": 1.5}]}}),
        ],
        "status": {"code": 1},
    }
    span.update(changes)
    if "status" in span:  # last, in the proto's field order
        span["status"] = span.pop("status")
    return {"resourceSpans": [{
        "resource": {"attributes": [_kv("service.name", {"stringValue": "svc"})]},
        "scopeSpans": [{"scope": {"name": "lib", "version": "1.0"}, "spans": [span]}],
        "schemaUrl": "https://opentelemetry.io/schemas/1.6.1"}]}


def _line(record: Any) -> bytes:
    return orjson.dumps(record)


def _with_attr(i: int, key: str, value: dict[str, Any]) -> bytes:
    return _line(_request(i, attributes=[_kv("gen_ai.operation.name", {"stringValue": "chat"}), _kv(key, value)]))


#: Hostile or unusual lines (raw bytes), each between good lines. Every one must reach the
#: per-record loader, which rows or quarantines it as it always did.
HOSTILE: dict[str, bytes] = {
    "duplicate-span-key": _line(_request(1)).replace(b'"name":"chat 1"', b'"name":"chat 1","name":"again"'),
    "duplicate-status-key": _line(_request(1)).replace(b'"code":1}', b'"code":1,"code":2}'),
    "duplicate-attribute": _line(_request(1)).replace(b'{"key":"note"', b'{"key":"flag","value":{"intValue":"3"}},{"key":"note"'),
    "duplicate-resource-attribute": _line(_request(1)).replace(
        b'{"key":"service.name","value":{"stringValue":"svc"}}',
        b'{"key":"service.name","value":{"stringValue":"svc"}},{"key":"service.name","value":{"stringValue":"x"}}'),
    "duplicate-value-key": _line(_request(1)).replace(b'{"stringValue":"planner"}', b'{"stringValue":"planner","stringValue":"b"}'),
    "two-values": _line(_request(1)).replace(b'{"stringValue":"planner"}', b'{"stringValue":"planner","intValue":"1"}'),
    "wide-int": _with_attr(1, "big", {"intValue": "123456789012345678901"}),
    "wide-int-number": _line(_request(1)).replace(b'{"intValue":7}', b'{"intValue":123456789012345678901}'),
    "wide-tokens": _line(_request(1)).replace(b'{"intValue":"11"}', b'{"intValue":"9223372036854775808"}'),
    "nan": _line(_request(1)).replace(b'{"doubleValue":0.25}', b'{"doubleValue":NaN}'),
    "nan-string": _line(_request(1)).replace(b'{"doubleValue":0.25}', b'{"doubleValue":"NaN"}'),
    "exponent": _line(_request(1)).replace(b'{"doubleValue":0.25}', b'{"doubleValue":2.5e-05}'),
    "minus-zero": _line(_request(1)).replace(b'{"doubleValue":0.25}', b'{"doubleValue":-0.0}'),
    # orjson writes a double in [1e-6, 1e-5) in exponent form (1.2e-6), yyjson as a plain fraction.
    "tiny-double": _line(_request(1)).replace(b'{"doubleValue":0.25}', b'{"doubleValue":0.0000012}'),
    "invalid-utf8": _line(_request(1)).replace(b"h\xc3\xa9llo", b"h\xe9llo"),
    "control-escape": _line(_request(1)).replace(b"llo", b"llo\\u001f"),
    "lone-surrogate": _line(_request(1)).replace(b"llo", b"llo\\ud800"),
    "tab": _line(_request(1)).replace(b'"kind":3', b'"kind":\t3'),
    "crlf": _line(_request(1)) + b"\r",
    "invalid-json": b'{"resourceSpans": [broken',
    "not-an-object": b'["a", 1]',
    "start-1969": _line(_request(1, startTimeUnixNano="-1")),
    "end-far-future": _line(_request(1, endTimeUnixNano="99999999999999999999")),
    "time-in-seconds": _line(_request(1, startTimeUnixNano="1763596840")),
    "time-as-number": _line(_request(1, startTimeUnixNano=1763596840049462719)),
    "time-zero": _line(_request(1, startTimeUnixNano="0")),
    "event-time-out-of-range": _line(_request(1, events=[{"timeUnixNano": "99999999999999999999", "name": "exception"}])),
    "base64-ids": _line(_request(1, traceId="aYQql5kRA2zz6CIIbsqgBw==", spanId="Wmn8F4uo+Dc=")),
    "bad-id": _line(_request(1, spanId="not-an-id")),
    "missing-trace-id": _line({"resourceSpans": [{"scopeSpans": [{"spans": [{"spanId": "00000000000000aa", "name": "x"}]}]}]}),
    "prefixed-id": _line(_request(1, traceId="0x" + "a" * 32)),
    "bad-status-code": _line(_request(1, status={"code": 7})),
    "status-name": _line(_request(1, status={"code": "ERROR"})),
    "kind-name": _line(_request(1, kind="SpanKind.SERVER")),
    "kind-out-of-range": _line(_request(1, kind=9)),
    "kvlist": _with_attr(1, "map", {"kvlistValue": {"values": [_kv("a", {"stringValue": "b"})]}}),
    "bytes": _with_attr(1, "raw", {"bytesValue": "aGVsbG8="}),
    "empty-value": _with_attr(1, "empty", {}),
    "nested-array": _with_attr(1, "nested", {"arrayValue": {"values": [{"arrayValue": {"values": []}}]}}),
    "at-key": _with_attr(1, "@kind", {"stringValue": "x"}),
    "escaped-key": _line(_request(1)).replace(b'"key":"note"', b'"key":"n\\u006fte"'),
    "link-bad-id": _line(_request(1, links=[{"traceId": "a" * 31, "spanId": "b" * 16}])),
    # A link with attributes goes record by record (their pattern slowed the whole layout's regex tenfold).
    "link-attributes": _line(_request(1, links=[{"traceId": "a" * 32, "spanId": "b" * 16, "attributes": [
        _kv("k", {"intValue": "5"})]}])),
    "link-kvlist": _line(_request(1, links=[{"traceId": "a" * 32, "spanId": "b" * 16, "attributes": [
        _kv("m", {"kvlistValue": {"values": []}})]}])),
    "link-keys-out-of-order": _line(_request(1, links=[{"spanId": "b" * 16, "traceId": "a" * 32}])),
    "link-wide-int": _line(_request(1, links=[{"traceId": "a" * 32, "spanId": "b" * 16, "attributes": [
        _kv("n", {"intValue": 12345678901234567890})]}])),
    "unknown-span-key": _line(_request(1, extra={"a": 1})),
    "keys-out-of-order": _line(_request(1)).replace(b'"name":"chat 1","kind":3', b'"kind":3,"name":"chat 1"'),
    "monocle-event": _line(_request(1, events=[{"timeUnixNano": "1763596840049462719", "name": "data.input",
                                                "attributes": [_kv("input", {"stringValue": "q"})]}])),
    "exception-type-not-text": _line(_request(1, events=[{"timeUnixNano": "1763596840049462719", "name": "exception",
                                                          "attributes": [_kv("exception.type", {"intValue": "4"})]}])),
    "string-tokens-as-text": _line(_request(1)).replace(b'{"intValue":"11"}', b'{"stringValue":"11"}'),
    "http-status-code": _with_attr(1, "http.status_code", {"intValue": "500"}),
    # OpenLLMetry's indexed messages are rebuilt record by record (semconv_messages, PER_RECORD_MARKS).
    "openllmetry-completion": _with_attr(1, "gen_ai.completion.0.finish_reason", {"stringValue": "tool_calls"}),
    "openllmetry-prompt": _with_attr(1, "gen_ai.prompt.0.role", {"stringValue": "user"}),
    "scope-attributes": _line(_request(1)).replace(b'"version":"1.0"}', b'"version":"1.0","attributes":[]}'),
    "instrumentation-library": _line(_request(1)).replace(b'"scopeSpans"', b'"instrumentationLibrarySpans"'),
    "snake-case-request": _line(_request(1)).replace(b'"resourceSpans"', b'"resource_spans"'),
    "resource-logs": b'{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"timeUnixNano":"1763596840049462719",'
                     b'"body":{"stringValue":"hi"},"traceId":"' + b"a" * 32 + b'"}]}]}]}',
    # One bad span among good ones: the whole line goes record by record (the good spans are rowed
    # there, the bad one quarantined, at the line's own number).
    "one-bad-span-of-two": _line(_request(1)).replace(b'"spans":[{', b'"spans":[{"traceId":"zz","spanId":"' + b"1" * 16
                                                                 + b'"},{', 1),
}

#: Near misses: unusual but within the layout, so mapped by the vectorised path (and identical).
NEAR_MISS: dict[str, bytes] = {
    "plain": _line(_request(1)),
    "escapes": _line(_request(1)).replace(b"h\xc3\xa9llo", b"h\\u00e9llo \\/ \\ud83d\\ude00 \\\"q\\\" \\n"),
    "spaced": _line(_request(1)).replace(b'":', b'": ').replace(b',"', b', "'),
    "no-end-time": _line({k: v for k, v in _request(1).items()}).replace(b',"endTimeUnixNano":"1763596841049462719"', b""),
    "root-span": _line(_request(1, parentSpanId="")),
    "uppercase-ids": _line(_request(1, traceId="5B8EFFF798038103D269B633813FC60C", spanId="EEE19B7EC3C1B174")),
    "no-kind": _line(_request(1)).replace(b',"kind":3', b""),
    "kind-enum-name": _line(_request(1, kind="SPAN_KIND_SERVER")),
    "status-error-message": _line(_request(1, status={"code": 2, "message": "429 Too Many Requests"})),
    "status-message-first": _line(_request(1, status={"message": "boom", "code": "STATUS_CODE_ERROR"})),
    "status-empty": _line(_request(1, status={})),
    "flags": _line(_request(1)).replace(b'"name":"chat 1"', b'"flags":257,"name":"chat 1"'),
    "dropped-counts": _line(_request(1)).replace(b',"status"', b',"droppedAttributesCount":2,"links":[],"status"'),
    "trace-state": _line(_request(1)).replace(b'"parentSpanId"', b'"traceState":"k=v,r=\\u00e9","parentSpanId"'),
    "links": _line(_request(1)).replace(b',"status"', b',"links":[{"traceId":"' + b"A" * 32 + b'","spanId":"' + b"b" * 16
                                        + b'","traceState":"x=1","flags":256},{"traceId":"' + b"c" * 32 + b'","spanId":"' + b"d" * 16
                                        + b'"}],"droppedLinksCount":1,"status"'),
    "trace-state-empty": _line(_request(1)).replace(b'"parentSpanId"', b'"traceState":"","parentSpanId"'),
    "doubles": _line(_request(1)).replace(b'{"doubleValue":0.25}', b'{"doubleValue":3}').replace(b'{"doubleValue":1.5}',
                                                                                            b'{"doubleValue":100.50}'),
    "small-doubles": _line(_request(1)).replace(b'{"doubleValue":0.25}', b'{"doubleValue":0.00001234}').replace(
        b'{"doubleValue":1.5}', b'{"doubleValue":0.0}'),
    "negative-int": _line(_request(1)).replace(b'{"intValue":7}', b'{"intValue":"-7"}'),
    "exception-event": _line(_request(1, status={"code": 2}, events=[{
        "timeUnixNano": "1763596840049462719", "name": "exception",
        "attributes": [_kv("exception.type", {"stringValue": "RateLimitError"}),
                       _kv("exception.message", {"stringValue": "429"}), _kv("exception.escaped", {"boolValue": False})]}])),
    "empty-attributes": _line(_request(1, attributes=[])),
    "empty-array": _with_attr(1, "list", {"arrayValue": {"values": []}}),
    # The completion whole under one key (no index): mapped in SQL, unlike OpenLLMetry's indexed keys.
    "genai-completion-whole": _with_attr(1, "gen_ai.completion", {"stringValue": "hello"}),
    "two-scopes-two-resources": _line({"resourceSpans": [
        {**_request(1)["resourceSpans"][0], "scopeSpans": [_request(1)["resourceSpans"][0]["scopeSpans"][0],
                                                           {"scope": {}, "spans": [_request(2)["resourceSpans"][0]["scopeSpans"][0]["spans"][0]]}]},
        {"scopeSpans": [{"spans": [_request(3)["resourceSpans"][0]["scopeSpans"][0]["spans"][0]]}]}]}),
}


def _hostile_file(tmp_path: Path, lines: dict[str, bytes]) -> tuple[Path, dict[str, int]]:
    """The lines, each between two good lines; returns the file and each line's number."""
    body, where = [], {}
    for i, (name, line) in enumerate(lines.items()):
        body.append(_line(_request(1000 + i)))
        body.append(line)
        where[name] = len(body)
    body.append(_line(_request(999)))
    path = tmp_path / "lines.otlp.jsonl"
    path.write_bytes(b"\n".join(body) + b"\n")
    return path, where


def test_hostile_lines_are_handed_to_the_per_record_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path, where = _hostile_file(tmp_path, HOSTILE)
    per_record, fast = _both(path, monkeypatch)
    _assert_identical(per_record, fast, path)
    mapped = _mapped_lines(path)
    assert sorted(name for name, line in where.items() if line in mapped) == []
    # Every good line between them was mapped.
    assert all(line in mapped for line in range(1, max(where.values()) + 2) if line not in where.values())
    assert per_record.quarantine.num_rows > 10  # the hostile lines did reach the per-record checks


def test_near_misses_are_mapped_and_identical(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path, where = _hostile_file(tmp_path, NEAR_MISS)
    per_record, fast = _both(path, monkeypatch)
    _assert_identical(per_record, fast, path)
    # No loader quarantine (the near misses repeat one span's ids: finalize's duplicate check only).
    assert set(per_record.report.files[0].reasons) <= {"duplicate-span-id", "resent-span-copy"}
    mapped = _mapped_lines(path)
    assert sorted(name for name, line in where.items() if line not in mapped) == []


def test_over_max_attributes_and_long_lines_go_record_by_record(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    many = _line(_request(1, attributes=[_kv(f"k{i}", {"intValue": str(i)}) for i in range(40)]))
    path, where = _hostile_file(tmp_path, {"many": many, "long": _with_attr(1, "text", {"stringValue": "x" * 5000})})
    limits = Limits(max_attributes=30, max_line_bytes=4000)
    per_record, fast = _both(path, monkeypatch, limits=limits)
    _assert_identical(per_record, fast, path)
    assert set(per_record.report.files[0].reasons) == {"too-many-attributes", "line-too-long"}
    assert not set(where.values()) & _mapped_lines(path, limits)


def test_switch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "small.otlp.jsonl"
    path.write_bytes(_line(_request(1)) + b"\n")
    monkeypatch.delenv("FORENSICS_VECTORISED", raising=False)
    monkeypatch.delenv("FORENSICS_VECTORISED_OTLP", raising=False)
    assert not vectorised_otlp.wanted(str(path))  # small files: record by record
    monkeypatch.setenv("FORENSICS_VECTORISED_OTLP", "1")
    assert vectorised_otlp.wanted(str(path))
    monkeypatch.setenv("FORENSICS_VECTORISED_OTLP", "0")
    monkeypatch.setenv("FORENSICS_VECTORISED", "1")
    assert not vectorised_otlp.wanted(str(path))


def test_documents_are_not_eligible(tmp_path: Path) -> None:
    doc = tmp_path / "doc.otlp.json"
    doc.write_bytes(orjson.dumps(_request(1), option=orjson.OPT_INDENT_2))
    lines = tmp_path / "lines.otlp.jsonl"
    lines.write_bytes(_line(_request(1)) + b"\n" + _line(_request(2)) + b"\n")
    assert not vectorised_otlp.eligible(str(doc), Limits())
    assert vectorised_otlp.eligible(str(lines), Limits())


def test_line_order_across_result_batches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Lines of many spans and a bad span at the end of long lines: a line's spans split across
    DuckDB's result batches are settled together."""
    monkeypatch.setattr(vectorised_otlp, "_RESULT_ROWS", 7)
    spans = [_request(i)["resourceSpans"][0]["scopeSpans"][0]["spans"][0] for i in range(5)]
    good = _line({"resourceSpans": [{"scopeSpans": [{"spans": spans}]}]})
    bad = _line({"resourceSpans": [{"scopeSpans": [{"spans": [*spans, {**spans[0], "spanId": "bad"}]}]}]})
    path = tmp_path / "many.otlp.jsonl"
    path.write_bytes(b"\n".join([good, bad, good, good, bad, good]) + b"\n")
    per_record, fast = _both(path, monkeypatch)
    _assert_identical(per_record, fast, path)
    assert _mapped_lines(path) == {1, 3, 4, 6}


def test_the_sdk_sql_it_reuses_must_keep_its_shape(monkeypatch: pytest.MonkeyPatch) -> None:
    """The mapping is the OTel SDK path's SQL cut at its CTE boundaries: a change of shape is an
    InternalError when the query is built (and every test above fails), never a wrong table."""
    from forensics.errors import InternalError
    from forensics.loaders import vectorised_otlp_sql

    assert "described AS (" in vectorised_otlp_sql.build_query()  # today's shape: cut and reused
    monkeypatch.setattr(vectorised_otlp_sql, "sdk_query", lambda: "WITH parsed AS (SELECT 1)\nSELECT\n  line_no FROM parsed")
    with pytest.raises(InternalError, match="changed shape"):
        vectorised_otlp_sql.build_query()


def test_the_layout_pattern_stays_within_its_budget() -> None:
    """A bigger layout pattern can make the regex's lazy DFA thrash: links' attribute lists took it
    from 105,586 to 166,922 characters and its CPU on a 52 MB night from 0.13 s to 1.17 s. Growing
    it past this budget needs a measurement first (the layout's CPU is in the commit message)."""
    from forensics.loaders.vectorised_otlp_sql import layout

    assert 100_000 < len(layout()) < 130_000
