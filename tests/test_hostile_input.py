"""Logs built to break us: each hostile record is bounded, quarantined with a specific reason, the
rest of the file still loads, and the accounting adds up."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import forensics
from forensics import Limits
from forensics.errors import ForensicsError
from forensics.loaders.base import find_duplicate_key, may_have_duplicate_keys


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


# -- duplicate keys ------------------------------------------------------------------------------

def test_duplicate_keys_are_quarantined_with_key_path_and_line(tmp_path: Path) -> None:
    path = tmp_path / "dup.jsonl"
    dup = _good(2).replace(b'"attributes":{}', b'"attributes":{"tool":"ls","x":{"y":1,"\\u0079":2}}')
    spaced = b'{"name" : "s3", "name"\t: "s3b", "context": {"trace_id": "' + b"a" * 32 + b'", "span_id": "3"}}'
    path.write_bytes(b"\n".join([_good(1), dup, spaced, _good(4)]) + b"\n")
    result = _load(path)
    assert result.spans.num_rows == 2
    assert _reasons(result) == {2: "duplicate-key", 3: "duplicate-key"}
    details = result.quarantine["detail"].to_pylist()
    assert 'key "y"' in details[0] and "$.attributes.x" in details[0] and "line 2" in details[0]
    assert 'key "name"' in details[1] and "object at $ " in details[1] and "Hint:" in details[1]


def test_no_false_duplicate_from_quote_colon_inside_strings(tmp_path: Path) -> None:
    # Embedded JSON in a string (tool arguments) is full of \": sequences; a key ending in a backslash too.
    attrs = {"args": '{"a": 1, "a": 2}', "x\\": 'say "hi": ok', "gen_ai.prompt": '":":'}
    path = tmp_path / "ok.jsonl"
    path.write_bytes(orjson.dumps(_span(1, attributes=attrs)) + b"\n" + json.dumps(_span(2, attributes=attrs)).encode() + b"\n")
    result = _load(path)
    assert result.spans.num_rows == 2 and result.quarantine.num_rows == 0


def test_duplicate_keys_in_an_array_document_quarantine_only_their_element(tmp_path: Path) -> None:
    path = tmp_path / "dup.json"
    elements = [json.dumps(_span(1), indent=2), '{"name": "s2", "name": "s2", "context": {}}', json.dumps(_span(3))]
    path.write_text("[\n" + ",\n".join(elements) + "\n]\n")
    result = _load(path)
    assert result.spans.num_rows == 2
    assert _reasons(result) == {2: "duplicate-key"}
    assert "$[1]" in result.quarantine["detail"][0].as_py() and "array element 2" in result.quarantine["detail"][0].as_py()


def test_duplicate_keys_in_concatenated_objects(tmp_path: Path) -> None:
    path = tmp_path / "console.json"  # ConsoleSpanExporter: pretty-printed objects one after another
    bad = json.dumps(_span(2), indent=4).replace('"name": "s2"', '"name": "s2",\n    "name": "evil"')
    path.write_text(json.dumps(_span(1), indent=4) + "\n" + bad + "\n" + json.dumps(_span(3), indent=4) + "\n")
    result = _load(path)
    assert result.spans.num_rows == 2
    assert list(_reasons(result).values()) == ["duplicate-key"]


# A serialiser that can write what json.dumps never does: repeated keys, any character spelled
# as a \u escape, whitespace around colons and commas.
_KEY_CHARS = st.sampled_from(["a", "b", '"', ":", "\\", " ", "é"])


@st.composite
def _json_text(draw: st.DrawFn, depth: int = 0) -> str:
    ws = st.sampled_from(["", " ", "\t", "\n", "  "])

    def string(text: str) -> str:
        out = []
        for ch in text:
            spell = draw(st.integers(0, 3))
            if spell == 0 or ch in '"\\':
                out.append(f"\\u{ord(ch):04x}" if spell == 0 or ch == "é" else "\\" + ch)
            else:
                out.append(ch)
        return '"' + "".join(out) + '"'

    kind = draw(st.sampled_from(["object", "object", "array", "string", "number"] if depth < 3 else ["string", "number"]))
    if kind == "string":
        return string(draw(st.text(_KEY_CHARS, max_size=4)))
    if kind == "number":
        return str(draw(st.integers(-5, 5)))
    if kind == "array":
        items = draw(st.lists(_json_text(depth + 1), max_size=3))
        return "[" + ",".join(draw(ws) + item + draw(ws) for item in items) + "]"
    pairs = draw(st.lists(st.tuples(st.text(_KEY_CHARS, min_size=0, max_size=2), _json_text(depth + 1)), max_size=4))
    return "{" + ",".join(f"{draw(ws)}{string(k)}{draw(ws)}:{draw(ws)}{v}" for k, v in pairs) + "}"


def _reference_duplicate(text: str) -> bool:
    found = False

    def hook(pairs: list[tuple[str, object]]) -> dict[str, object]:
        nonlocal found
        keys = [k for k, _ in pairs]
        found = found or len(keys) != len(set(keys))
        return dict(pairs)

    json.loads(text, object_pairs_hook=hook)
    return found


@settings(max_examples=1000, deadline=None)
@given(text=_json_text())
def test_duplicate_key_pre_check_never_misses_one(text: str) -> None:
    value = orjson.loads(text)
    has_duplicate = _reference_duplicate(text)
    for raw in (text, text.encode()):
        if has_duplicate:
            assert may_have_duplicate_keys(raw, value), text
            assert find_duplicate_key(raw) is not None
        else:
            assert find_duplicate_key(raw) is None


# -- overriding limits ---------------------------------------------------------------------------

def test_limits_from_the_environment_reach_the_command_line(tmp_path: Path) -> None:
    import subprocess
    import sys

    path = tmp_path / "long.jsonl"
    path.write_bytes(b"\n".join([_good(1), orjson.dumps(_span(2, name="x" * 100_000)), _good(3)]) + b"\n")
    env = {**os.environ, "FORENSICS_LIMITS": "max_line_bytes=64K"}
    cli = Path(sys.executable).with_name("forensics")
    out = subprocess.run([str(cli), "load", str(path), "--format", "otel-sdk-json"],
                         capture_output=True, text=True, env=env, check=False)
    assert "line-too-long" in out.stdout + out.stderr, out.stdout + out.stderr
    assert Limits.from_env({"FORENSICS_LIMITS": "max_line_bytes=1G, max_attributes=500000"}) == Limits(
        max_line_bytes=1 << 30, max_attributes=500_000)
    assert Limits.from_env({}) == Limits()
    with pytest.raises(ForensicsError, match="FORENSICS_LIMITS.*max_lines=3"):
        Limits.from_env({"FORENSICS_LIMITS": "max_lines=3"})


def test_limits_doc_lists_every_limit_with_its_default_and_every_hostile_reason() -> None:
    import dataclasses
    import re

    doc = (Path(__file__).resolve().parents[1] / "docs" / "LIMITS.md").read_text()
    rows = dict(re.findall(r"^\| `([a-z_]+)` \| ([^|]+) \|", doc, flags=re.MULTILINE))
    units = {"GiB": 1 << 30, "MiB": 1 << 20, "Ki chars": 1 << 10}
    for f in dataclasses.fields(Limits):
        assert f.name in rows, f"docs/LIMITS.md has no row for Limits.{f.name}"
        number, _, unit = rows[f.name].strip().partition(" ")
        assert int(number.replace(",", "")) * units.get(unit, 1) == f.default, (f.name, rows[f.name])
    for reason in ("too-deep", "line-too-long", "decompressed-too-large", "invalid-utf8", "invalid-json",
                   "duplicate-key", "invalid-time", "invalid-id", "too-many-attributes", "document-too-large",
                   "truncated", "unreadable-file"):
        assert f"`{reason}`" in doc, f"docs/LIMITS.md does not name the reason {reason}"


def test_duplicate_key_in_a_single_document_quarantines_the_document(tmp_path: Path) -> None:
    path = tmp_path / "one.json"
    path.write_text('{\n  "name": "s1",\n  "context": {"trace_id": "' + "a" * 32 + '", "span_id": "1", "span_id": "2"}\n}\n')
    result = _load(path)
    assert result.spans.num_rows == 0
    assert _reasons(result) == {1: "duplicate-key"}
    detail = result.quarantine["detail"][0].as_py()
    assert 'key "span_id"' in detail and "$.context" in detail and "the document" in detail


def test_nesting_orjson_reads_but_does_not_write_still_loads(tmp_path: Path) -> None:
    # orjson parses 1024 levels but serialises only 255: the duplicate-key check must not crash between.
    deep: object = "leaf"
    for _ in range(400):
        deep = {"k": deep}
    lines = [_good(1), json.dumps(_span(2, attributes={"deep": deep})).encode(),
             json.dumps(_span(3, attributes={"deep": deep, "x": 1, "x ": 2})).replace('"x ": 2', '"x": 2').encode()]
    path = tmp_path / "deep_ok.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    result = _load(path)
    assert result.spans["source_line"].to_pylist() == [1, 2]
    assert _reasons(result) == {3: "duplicate-key"}
    doc = tmp_path / "deep_ok.json"
    doc.write_text(json.dumps([_span(1), _span(2, attributes={"deep": deep})], indent=1))
    assert _load(doc).spans.num_rows == 2


def test_integers_wider_than_64_bits_stay_exact(tmp_path: Path) -> None:
    """orjson reads an integer wider than 64 bits as a rounded float: a 128-bit decimal trace id
    would lose its low digits and merge runs. Such lines are re-read exactly, in JSON-lines and in
    documents alike; an id becomes its exact hex, an attribute keeps every digit."""
    wide = 2**100 + 12345  # 31 decimal digits; as a float its low digits are gone
    record = {"name": "wide", "context": {"trace_id": wide, "span_id": "00000000000000a1"},
              "kind": "SpanKind.INTERNAL", "parent_id": None, "start_time": "2025-01-01T00:00:00Z",
              "end_time": "2025-01-01T00:00:01Z", "status": {"status_code": "OK"},
              "attributes": {"order.number": wide}}
    text = json.dumps(record)
    assert str(wide) in text
    for path, body in ((tmp_path / "wide.jsonl", text + "\n"), (tmp_path / "wide.json", "[" + text + "]")):
        path.write_text(body)
        result = forensics.load(path, format="otel-sdk-json")
        assert result.quarantine.num_rows == 0, result.quarantine.to_pylist()
        assert result.spans.column("run_id").to_pylist() == [f"{wide:032x}"]
        assert json.loads(result.spans.column("attributes")[0].as_py())["order.number"] == wide
