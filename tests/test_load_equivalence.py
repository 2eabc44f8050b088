"""The loaders' hot paths were rewritten for speed (issue 2); their output must not change.

Each optimised function is compared here with a plain reference implementation kept in this file
(the code as it was before the rewrite, written for clarity rather than speed), on generated input
that includes the awkward cases: null values, several keys feeding one column, bad values whose
error message names the key, columns the loader already set. The whole loader is also compared
with itself across the serial and the worker-split paths on generated traffic.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import forensics
from forensics import semconv
from forensics.normalize import as_text

# --- semconv: the column each attribute key feeds ----------------------------------------------


def reference_take_columns(rest: dict[str, Any], row: dict[str, Any]) -> None:
    """Per column, the best-ranked key holding a value wins and is consumed; columns are filled in
    the order their first such key appears; a failed conversion names its key."""
    best: dict[str, tuple[int, str]] = {}
    for key in rest:
        info = semconv._KEY_INFO.get(key)
        if info is None or rest[key] is None:
            continue
        column, rank, _ = info
        if row.get(column) is None and (column not in best or rank < best[column][0]):
            best[column] = (rank, key)
    for column, (_, key) in best.items():
        convert = semconv._KEY_INFO[key][2]
        try:
            row[column] = convert(rest.pop(key))
        except ValueError as exc:
            raise ValueError(f"attribute `{key}`: {exc}") from None


KNOWN_KEYS = sorted(semconv._KEY_INFO)
VALUES = st.one_of(st.none(), st.text(max_size=5), st.integers(-5, 10**6), st.floats(allow_nan=True),
                   st.just(""), st.lists(st.integers(), max_size=2), st.booleans())
ATTRS = st.dictionaries(st.one_of(st.sampled_from(KNOWN_KEYS), st.sampled_from(["other", "span.type", "x.y"])),
                        VALUES, max_size=12)
PRESET = st.dictionaries(st.sampled_from([c for c, _, _ in semconv._COLUMN_KEYS]), st.one_of(st.none(), st.just("set")),
                         max_size=3)


def outcome(take: Callable[[dict[str, Any], dict[str, Any]], None], attrs: dict[str, Any],
            preset: dict[str, Any]) -> tuple[Any, ...]:
    rest, row = dict(attrs), dict(preset)
    try:
        take(rest, row)
    except ValueError as exc:
        return ("error", str(exc))
    return ("ok", repr(row), repr(rest), list(rest))  # repr: NaN == NaN, key order included


@settings(max_examples=600, deadline=None)
@given(ATTRS, PRESET)
def test_take_columns_matches_the_reference(attrs: dict[str, Any], preset: dict[str, Any]) -> None:
    assert outcome(semconv._take_columns, attrs, preset) == outcome(reference_take_columns, attrs, preset)


def test_take_columns_reports_the_first_bad_value_in_attribute_order_past_a_null() -> None:
    # tool's best key is null, so tool sits where `tool.name` does: after the bad token count.
    attrs = {"gen_ai.tool.name": None, "gen_ai.usage.input_tokens": "many", "tool.name": [1, 2], "model": 1}
    with pytest.raises(ValueError, match="gen_ai.usage.input_tokens"):
        semconv._take_columns(dict(attrs), {})
    assert outcome(semconv._take_columns, attrs, {}) == outcome(reference_take_columns, attrs, {})


def test_take_columns_plans_are_reused_and_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(semconv, "_PLANS", {})
    monkeypatch.setattr(semconv, "_PLANS_MAX", 3)
    for n in range(10):
        row: dict[str, Any] = {}
        semconv._take_columns({f"k{n}": 1, "gen_ai.agent.name": "a", "agent.name": "b"}, row)
        assert row == {"agent": "a"}
    assert 1 <= len(semconv._PLANS) <= 3
    assert as_text("x") == "x"


# --- the whole loader: serial and worker-split reads agree ---------------------------------------


@pytest.mark.parametrize("fmt", ["otel-sdk-json", "otlp-json", "openinference"])
def test_worker_split_equals_serial_on_generated_traffic(fmt: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from forensics.synth.generator import generate

    load_module = importlib.import_module("forensics.load")
    path = tmp_path / f"runs.{fmt}.jsonl"
    generate(40, path, format=fmt, seed=3)
    monkeypatch.setenv("FORENSICS_WORKERS", "1")
    serial = forensics.load(path, format=fmt)
    monkeypatch.setenv("FORENSICS_WORKERS", "2")
    monkeypatch.setattr(load_module, "PARALLEL_MIN_BYTES", 1)
    assert len(load_module._parallel_ranges(str(path), True, forensics.Limits())) == 2
    split = forensics.load(path, format=fmt)
    assert serial.spans.num_rows > 40 * 10
    assert split.spans.equals(serial.spans, check_metadata=True)
    assert split.quarantine.equals(serial.quarantine, check_metadata=True)
