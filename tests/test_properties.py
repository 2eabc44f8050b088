"""Property tests: corrupted and truncated versions of real files always account for every record,
and nothing but the toolkit's own error types escapes.

For each real sample, Hypothesis cuts it at any byte, flips or inserts bytes, duplicates or drops
lines, and loads the result with the loader sniffing chose for the intact file. Whatever happens,
`records_read == rows + quarantined + merged` must hold, and the only exception allowed out is a
`ForensicsError` (e.g. an input that no longer looks like a log at all when sniffed).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from realdata import DATA, FORMATS, is_bundled_copy

import forensics
from forensics.errors import ForensicsError, InternalError
from forensics.loaders import names, sniff_file


def _real_files() -> list[Path]:
    # ../shared's files when it is beside the repository, minus those tests/data holds a copy of (read once).
    files = sorted(p for p in FORMATS.rglob("*") if p.is_file() and p.suffix in (".json", ".jsonl")
                   and not is_bundled_copy(p)) if FORMATS.exists() else []
    files += sorted(p for p in DATA.rglob("*") if p.is_file() and p.suffix in (".json", ".jsonl"))
    return files


def _format_of(path: Path) -> str | None:
    if path.parent.name == "auto_json":
        return "auto-json"  # never chosen by sniffing: only when asked for
    try:
        return sniff_file(str(path)).format
    except ForensicsError:
        return None


SAMPLES = [(p, f) for p in _real_files() if (f := _format_of(p)) is not None]


@st.composite
def corruptions(draw: st.DrawFn, data: bytes) -> bytes:
    kind = draw(st.sampled_from(["truncate", "flip", "insert", "drop-line", "dup-line", "splice"]))
    if not data:
        return data
    at = draw(st.integers(0, len(data) - 1))
    if kind == "truncate":
        return data[:at]
    if kind == "flip":
        return data[:at] + bytes([draw(st.integers(0, 255))]) + data[at + 1:]
    if kind == "insert":
        junk = draw(st.sampled_from([b"\xff\xfe", b"{", b"]", b'"', b"NaN", b"\n", b",,", b"\x00", b"\xc3\x28"]))
        return data[:at] + junk + data[at:]
    lines = data.split(b"\n")
    index = draw(st.integers(0, len(lines) - 1))
    if kind == "drop-line":
        return b"\n".join(lines[:index] + lines[index + 1:])
    if kind == "dup-line":
        return b"\n".join(lines[: index + 1] + lines[index:])
    other = draw(st.integers(0, len(data) - 1))
    return data[:at] + data[other:]


def _check(path: Path, fmt: str, mutated: bytes, tmp: Path, sniff: bool) -> None:
    target = tmp / path.name
    target.write_bytes(mutated)
    try:
        result = forensics.load(target, format=None if sniff else fmt)
    except InternalError:
        raise
    except ForensicsError:
        return  # a clear, typed error is an allowed outcome (e.g. no longer sniffable)
    for account in result.report.files:
        assert account.records_read == account.rows + account.quarantined + account.merged
    assert result.spans.num_rows == result.report.rows
    assert result.quarantine.num_rows == result.report.quarantined
    assert all(r for r in result.quarantine["reason"].to_pylist())


@pytest.mark.skipif(not SAMPLES, reason="no real samples available")
@pytest.mark.parametrize(("path", "fmt"), SAMPLES, ids=[p.name for p, _ in SAMPLES])
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_corrupted_real_files_always_account_for_every_record(path: Path, fmt: str, data: st.DataObject,
                                                              tmp_path_factory: pytest.TempPathFactory) -> None:
    original = path.read_bytes()
    mutated = data.draw(corruptions(original))
    sniff = data.draw(st.booleans())
    _check(path, fmt, mutated, tmp_path_factory.mktemp("mut"), sniff)


def test_every_registered_loader_has_a_real_or_fixture_sample_in_this_suite() -> None:
    covered = {f for _, f in SAMPLES}
    # Formats whose only samples are built inside their own test modules are listed here: a SQL database
    # (tests/loaders/test_loader_sql.py) and forensics' own span table, written from the sample logs as
    # Parquet (tests/loaders/test_loader_span_table.py): neither is JSON text to corrupt byte by byte.
    built_in_tests = {"sql", "span-table"}
    missing = set(names()) - covered - built_in_tests
    assert not missing, f"no sample file feeds the property test for: {sorted(missing)}"
