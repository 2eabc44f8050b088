"""The sample incident corpus: every label points at a real run and span, coverage, clean share.

The raw files are read with orjson and small per-format id extractors written from each format's
documented shape (FIELDS.md), not with our loaders, so these tests do not depend on them; a separate
test loads every file with `forensics.load` for the formats whose loader exists.
"""

from __future__ import annotations

import re
import shutil
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from label_leaks import assert_names_no_failure
from realdata import TAXONOMY

from forensics.schema import LABEL_SCHEMA
from forensics.synth.build_samples import load_scenarios, render
from forensics.synth.scenario import CLASSES, DETECTOR_CLASS

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "sample_logs"
LABELS = [orjson.loads(line) for line in (SAMPLES / "labels.jsonl").read_bytes().splitlines() if line.strip()]


def _records(path: Path) -> list[Any]:
    """A file's JSON records: the document (a list is its items) or one object per line."""
    data = path.read_bytes()
    if path.name.endswith(".jsonl"):
        return [orjson.loads(line) for line in data.splitlines() if line.strip()]
    doc = orjson.loads(data)
    return doc if isinstance(doc, list) else [doc]


def _strip0x(text: str) -> str:
    return text[2:] if text.startswith("0x") else text


def _ids_otlp(rec: Any) -> Iterator[tuple[str, str]]:
    for rs in rec["resourceSpans"]:
        for ss in rs["scopeSpans"]:
            for sp in ss["spans"]:
                yield sp["traceId"], sp["spanId"]


def _ids_sdk(rec: Any) -> Iterator[tuple[str, str]]:
    yield _strip0x(rec["context"]["trace_id"]), _strip0x(rec["context"]["span_id"])


def _ids_langsmith(rec: Any) -> Iterator[tuple[str, str]]:
    yield rec["trace_id"], rec["id"]


def _ids_langfuse(rec: Any) -> Iterator[tuple[str, str]]:
    for obs in rec["observations"]:
        assert obs["traceId"] == rec["trace"]["id"]
        yield obs["traceId"], obs["id"]


def _ids_jsonl(rec: Any) -> Iterator[tuple[str, str]]:
    yield rec["run_id"], rec["span_id"]


#: File suffix -> (format, where that format keeps run and span ids).
ID_READERS: dict[str, tuple[str, Callable[[Any], Iterator[tuple[str, str]]]]] = {
    ".otlp.json": ("otlp-json", _ids_otlp),
    ".otel.jsonl": ("otel-sdk-json", _ids_sdk),
    ".phoenix.jsonl": ("openinference", _ids_sdk),
    ".langsmith.json": ("langsmith", _ids_langsmith),
    ".langfuse.json": ("langfuse", _ids_langfuse),
    ".log.jsonl": ("jsonl", _ids_jsonl),
}


def _reader(name: str) -> tuple[str, Callable[[Any], Iterator[tuple[str, str]]]]:
    for suffix, reader in ID_READERS.items():
        if name.endswith(suffix):
            return reader
    raise AssertionError(f"{name}: no known format suffix")


def _spans_by_run(path: Path) -> dict[str, set[str]]:
    _, ids = _reader(path.name)
    out: dict[str, set[str]] = defaultdict(set)
    for rec in _records(path):
        for run, span in ids(rec):
            out[run].add(span)
    return out


def test_labels_have_exactly_the_label_schema_fields() -> None:
    names = [f.name for f in LABEL_SCHEMA]
    assert len(LABELS) >= 24
    for row in LABELS:
        assert list(row) == names
        assert isinstance(row["expected_classes"], list) and isinstance(row["expected_detectors"], list)
        assert isinstance(row["story"], str) and row["story"]


def test_every_labelled_run_and_decisive_span_is_in_its_file() -> None:
    for row in LABELS:
        path = SAMPLES / row["file"]
        assert path.is_file(), row["file"]
        assert path.name.startswith(row["scenario"] + ".")
        runs = _spans_by_run(path)
        assert row["run_id"] in runs, f"{row['file']}: run {row['run_id']} not in the file"
        if row["decisive_span_id"] is not None:
            assert row["decisive_span_id"] in runs[row["run_id"]], (
                f"{row['file']}: decisive span {row['decisive_span_id']} is not a span of run {row['run_id']}"
            )


def test_every_run_in_a_file_is_labelled() -> None:
    labelled = defaultdict(set)
    for row in LABELS:
        labelled[row["file"]].add(row["run_id"])
    files = sorted(p for p in SAMPLES.iterdir() if p.name[:2].isdigit())
    assert len(files) >= 24
    for path in files:
        assert set(_spans_by_run(path)) == labelled[path.name], path.name


def test_classes_follow_detectors_and_clean_runs_have_no_decisive_span() -> None:
    for row in LABELS:
        wanted = {DETECTOR_CLASS[d] for d in row["expected_detectors"]}
        assert row["expected_classes"] == [c for c in CLASSES if c in wanted]
        assert (row["decisive_span_id"] is None) == (not row["expected_detectors"])


def test_every_detector_and_class_in_two_scenarios_in_two_formats() -> None:
    scenarios: dict[str, set[str]] = defaultdict(set)
    formats: dict[str, set[str]] = defaultdict(set)
    for row in LABELS:
        fmt = _reader(row["file"])[0]
        for name in [*row["expected_detectors"], *row["expected_classes"]]:
            scenarios[name].add(row["scenario"])
            formats[name].add(fmt)
    for name in [*DETECTOR_CLASS, *CLASSES]:
        assert len(scenarios[name]) >= 2, f"{name} is in {sorted(scenarios[name])}"
        assert len(formats[name]) >= 2, f"{name} is only in {sorted(formats[name])}"


def test_the_detector_list_covers_the_taxonomy() -> None:
    if not TAXONOMY.exists():
        pytest.skip(f"{TAXONOMY} is not available beside the repo")
    text = TAXONOMY.read_text().split("## The four classes", 1)[1].split("## What every result carries", 1)[0]
    named = set(re.findall(r"^- \*\*([a-z_]+)\*\*", text, flags=re.M))
    assert "swallowed_error" in named and len(named) >= 19
    for name in named:
        # The two classes beyond the four are named as classes there; their detectors are registered.
        assert name in DETECTOR_CLASS or name in CLASSES, name


def test_at_least_a_third_of_runs_are_clean() -> None:
    clean = [r for r in LABELS if not r["expected_detectors"]]
    assert len(clean) * 3 >= len(LABELS)


def test_six_formats_are_used() -> None:
    assert {_reader(r["file"])[0] for r in LABELS} == {fmt for fmt, _ in ID_READERS.values()}


def test_sessions_spanning_runs_and_runs_that_never_end_are_present() -> None:
    # 04 and 22: a restart within one session; their two runs share the session id in the file.
    recs = _records(SAMPLES / "04_invoice_restart_redo.log.jsonl")
    assert len({r["run_id"] for r in recs}) == 2 and len({r["session_id"] for r in recs}) == 1
    # 11: the research agent's root line has no duration: it never ended.
    recs = _records(SAMPLES / "11_research_agent_hung.log.jsonl")
    root = next(r for r in recs if r["parent_id"] is None)
    assert root["duration_ms"] is None


def test_no_field_names_a_failure_class() -> None:
    for path in SAMPLES.iterdir():
        if path.name[:2].isdigit():
            for rec in _records(path):
                assert_names_no_failure(rec, path.name)


def test_committed_files_are_what_the_stories_render(tmp_path: Path) -> None:
    shutil.copy(SAMPLES / "_scenarios.py", tmp_path / "_scenarios.py")
    labels = render(tmp_path)
    assert len(labels) == len(LABELS)
    for path in sorted(tmp_path.iterdir()):
        if path.name == "_scenarios.py" or path.name == "__pycache__":
            continue
        assert path.read_bytes() == (SAMPLES / path.name).read_bytes(), (
            f"{path.name} differs from the rendered story; run `python -m forensics.synth.build_samples`"
        )


def test_samples_doc_lists_every_scenario() -> None:
    doc = (REPO / "docs" / "SAMPLES.md").read_text()
    for sc in load_scenarios():
        assert f"`{sc.stem}." in doc, sc.stem


# --- with the loaders ------------------------------------------------------------------------------


def _loader_rows() -> list[Any]:
    return [pytest.param(r, id=f"{r['scenario']}:{r['run_id'][:8]}") for r in LABELS]


@pytest.mark.parametrize("row", _loader_rows())
def test_each_scenario_loads_with_sniffing_and_holds_its_labelled_ids(row: dict[str, Any]) -> None:
    from forensics.load import load
    from forensics.loaders import registry
    from forensics.normalize import norm_id

    fmt = _reader(row["file"])[0]
    if fmt not in registry.names():
        pytest.skip(f"the `{fmt}` loader is not registered yet")
    result = load(SAMPLES / row["file"])
    spans = result.spans
    assert result.quarantine.num_rows == 0, result.quarantine.to_pylist()[:2]
    assert set(spans.column("source_format").to_pylist()) == {fmt}
    run_ids = spans.column("run_id").to_pylist()
    span_ids = spans.column("span_id").to_pylist()
    run = norm_id(row["run_id"])
    assert run in run_ids
    if row["decisive_span_id"] is not None:
        span = norm_id(row["decisive_span_id"])
        assert (run, span) in set(zip(run_ids, span_ids, strict=True))
