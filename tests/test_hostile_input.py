"""Logs built to break us: each hostile record is bounded, quarantined with a specific reason, the
rest of the file still loads, and the accounting adds up."""

from __future__ import annotations

import gzip
from pathlib import Path

import orjson
import pytest

import forensics
from forensics import Limits


def _span(i: int, **extra: object) -> dict[str, object]:
    span: dict[str, object] = {
        "name": f"s{i}", "context": {"trace_id": "a" * 32, "span_id": f"{i:016x}"}, "kind": "SpanKind.INTERNAL",
        "parent_id": None, "start_time": "2025-01-01T00:00:00Z", "end_time": "2025-01-01T00:00:01Z",
        "status": {"status_code": "OK"}, "attributes": {},
    }
    span.update(extra)
    return span


def _good(i: int) -> bytes:
    return orjson.dumps(_span(i))


def _load(path: Path, limits: Limits | None = None) -> forensics.LoadResult:
    result = forensics.load(path, format="otel-sdk-json", limits=limits)
    account = result.report.files[0]
    assert account.records_read == account.rows + account.quarantined + account.merged
    return result


def _reasons(result: forensics.LoadResult) -> dict[int, str]:
    return dict(zip(result.quarantine["source_line"].to_pylist(), result.quarantine["reason"].to_pylist(), strict=True))


def test_deeply_nested_line(tmp_path: Path) -> None:
    deep = b'{"a":' * 5000 + b"1" + b"}" * 5000
    path = tmp_path / "deep.jsonl"
    path.write_bytes(b"\n".join([_good(1), deep, _good(2)]) + b"\n")
    result = _load(path)
    assert result.spans.num_rows == 2
    assert _reasons(result) == {2: "too-deep"}


def test_deeply_nested_document(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_bytes(b"[" + _good(1) + b"," + b"[" * 100_000 + b"]" * 100_000 + b"]")
    result = _load(path)
    assert result.spans.num_rows == 1
    assert list(_reasons(result).values()) == ["too-deep"]


def test_a_line_over_the_limit_is_skipped_unparsed(tmp_path: Path) -> None:
    huge = b'{"name": "' + b"x" * 5_000_000 + b'"}'
    path = tmp_path / "huge.jsonl"
    path.write_bytes(b"\n".join([_good(1), huge, _good(2)]) + b"\n")
    result = _load(path, Limits(max_line_bytes=1_000_000))
    assert result.spans.num_rows == 2
    assert _reasons(result) == {2: "line-too-long"}
    assert "5,000,012 bytes" in result.quarantine["detail"][0].as_py()
    assert len(result.quarantine["raw"][0].as_py()) <= 300  # only a prefix is kept


def test_gzip_bomb_stops_at_the_inflation_ratio(tmp_path: Path) -> None:
    path = tmp_path / "bomb.jsonl.gz"
    with gzip.open(path, "wb", compresslevel=9) as fh:
        fh.write(_good(1) + b"\n")
        chunk = b" " * (1 << 20)
        for _ in range(200):  # 200 MiB of blanks: ~200 KB compressed, a 1000x inflation
            fh.write(chunk)
        fh.write(b"\n" + _good(2) + b"\n")
    result = _load(path)
    assert list(_reasons(result).values()) == ["decompressed-too-large"]
    assert "gzip bomb" in result.quarantine["detail"][0].as_py()


def test_invalid_utf8_nan_and_infinity(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    bad_utf8 = _good(2).replace(b"s2", b"s\xff\xfe")
    nan = b'{"name": NaN}'
    inf = b'{"name": "x", "cost": Infinity}'
    path.write_bytes(b"\n".join([_good(1), bad_utf8, nan, inf, _good(5)]) + b"\n")
    result = _load(path)
    assert result.spans.num_rows == 2
    assert _reasons(result) == {2: "invalid-utf8", 3: "invalid-json", 4: "invalid-json"}
    assert "NaN and Infinity" in result.quarantine["detail"][1].as_py()


def test_times_out_of_range_and_ids_of_the_wrong_type(tmp_path: Path) -> None:
    path = tmp_path / "types.jsonl"
    lines = [
        _good(1),
        orjson.dumps(_span(2, start_time="9999-12-31T00:00:00Z")),
        orjson.dumps(_span(3, start_time=1e30)),
        orjson.dumps(_span(4, context={"trace_id": ["not", "an", "id"], "span_id": "1"})),
        orjson.dumps(_span(5, context={"trace_id": "a" * 32, "span_id": {"id": 5}})),
        orjson.dumps(_span(6, parent_id=True)),
    ]
    path.write_bytes(b"\n".join(lines) + b"\n")
    result = _load(path)
    assert result.spans.num_rows == 1
    assert _reasons(result) == {2: "invalid-time", 3: "invalid-time", 4: "invalid-id", 5: "invalid-id", 6: "invalid-id"}
    details = result.quarantine["detail"].to_pylist()
    assert "1970..2200" in details[0] and "`context.trace_id`" in details[2]


@pytest.mark.slow
def test_a_record_with_a_million_attributes(tmp_path: Path) -> None:
    attrs = {f"k{i}": i for i in range(1_000_000)}
    path = tmp_path / "wide.jsonl"
    path.write_bytes(b"\n".join([_good(1), orjson.dumps(_span(2, attributes=attrs)), _good(3)]) + b"\n")
    result = _load(path)
    assert result.spans.num_rows == 2
    assert _reasons(result) == {2: "too-many-attributes"}
    assert "1,000,000 attributes" in result.quarantine["detail"][0].as_py()


def test_last_line_cut_inside_a_string_is_truncated_not_invalid(tmp_path: Path) -> None:
    cut = _good(2)[:40]  # ends inside the "name" value
    assert cut.count(b'"') % 2 == 1
    path = tmp_path / "cut.jsonl"
    path.write_bytes(_good(1) + b"\n" + cut + b"\n")
    result = _load(path)
    assert _reasons(result) == {2: "truncated"}
