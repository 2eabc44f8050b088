"""Sniffing by a bounded streaming parse: a file's size and key order never decide its format, text is
refused before any loader scores it, and `forensics sniff --explain` shows what each loader saw.

The Who&When history used here is tests/data/ag2_history/who_and_when_dev_47.json (a verbatim copy,
see its README); the padded variants are built from it in the test."""

from __future__ import annotations

import json
import subprocess
import sys
import tracemalloc
from pathlib import Path

import orjson
import pytest
from realdata import WHO_AND_WHEN, shared_file

import forensics
from forensics.errors import UnknownFormatError
from forensics.loaders import registry
from forensics.loaders import sampling as loader_sampling
from forensics.loaders.base import SNIFF_RECORDS, read_sample

DATA = Path(__file__).parents[1] / "data"
WHO_47 = DATA / "ag2_history" / "who_and_when_dev_47.json"
MiB = 1024 * 1024


def _padded(doc: dict, size: int, history_first: bool) -> dict:
    """The same conversation with its messages repeated until its history is ``size`` bytes."""
    history = list(doc["history"])
    block = [dict(m, content=m["content"] + " (repeated)") for m in doc["history"]]
    grown, step = len(orjson.dumps(history)), len(orjson.dumps(block))
    while grown < size:
        history += block
        grown += step
    rest = {k: v for k, v in doc.items() if k != "history"}
    return {"history": history, **rest} if history_first else {**rest, "history": history}


@pytest.mark.parametrize("history_first", [False, True], ids=["keys-first", "history-first"])
@pytest.mark.parametrize("indent", [None, 4], ids=["one-line", "pretty"])
def test_a_5_mb_who_and_when_file_sniffs_like_the_50_kb_one(tmp_path: Path, history_first: bool, indent: int | None) -> None:
    doc = json.loads(WHO_47.read_text())
    small = registry.sniff_file(str(WHO_47))
    assert (small.format, small.confidence) == ("ag2-history", 0.95)
    big = tmp_path / "padded.json"
    big.write_text(json.dumps(_padded(doc, 5 * MiB, history_first), indent=indent))
    assert big.stat().st_size > 5 * MiB
    result = registry.sniff_file(str(big))
    assert (result.format, result.confidence) == (small.format, small.confidence)
    sample = read_sample(str(big))
    assert sample.keys == set(doc)  # mistake_agent and the rest, wherever they sit after the history
    assert len(sample.first["history"]) == SNIFF_RECORDS  # a head of the list, not all of it
    assert sample.is_document == (indent is not None) and not sample.cut
    if history_first and indent is None:  # and it loads: every message a row
        loaded = forensics.load(big)
        assert loaded.report.files[0].format == "ag2-history"
        assert loaded.report.rows == len(_padded(doc, 5 * MiB, True)["history"])


def test_every_who_and_when_dev_file_sniffs_as_ag2_history_whatever_its_key_order(tmp_path: Path) -> None:
    if not WHO_AND_WHEN.is_dir():
        pytest.skip(f"{WHO_AND_WHEN} is not available (../shared is missing beside the repo)")
    files = sorted(WHO_AND_WHEN.glob("*.json"))
    assert len(files) == 126
    for path in files:
        assert registry.sniff_file(str(path)).format == "ag2-history", path
        doc = json.loads(path.read_text())
        turned = tmp_path / path.name
        turned.write_text(json.dumps(dict(reversed(list(doc.items())))))  # history's neighbours moved
        assert registry.sniff_file(str(turned)).format == "ag2-history", path


def test_sniffing_holds_a_few_chunks_of_a_large_document_not_the_document(tmp_path: Path) -> None:
    doc = _padded(json.loads(WHO_47.read_text()), 24 * MiB, history_first=True)
    path = tmp_path / "huge.json"
    path.write_bytes(orjson.dumps(doc))
    del doc
    tracemalloc.start()
    sample = read_sample(str(path))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert "mistake_agent" in sample.keys
    assert peak < 6 * MiB, f"held {peak / MiB:.1f} MiB to sniff a {path.stat().st_size / MiB:.0f} MiB file"


def test_past_the_scan_budget_the_keys_seen_so_far_are_kept_and_the_cut_is_said(tmp_path: Path,
                                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    doc = _padded(json.loads(WHO_47.read_text()), 2 * MiB, history_first=True)
    path = tmp_path / "padded.json"
    path.write_bytes(orjson.dumps(doc))
    monkeypatch.setattr(loader_sampling, "SNIFF_SCAN_BYTES", 512 * 1024)  # read where read_sample looks it up
    sample = read_sample(str(path))
    assert sample.cut and "history" in sample.keys and "mistake_agent" not in sample.keys


def test_a_cut_short_array_keeps_its_complete_records(tmp_path: Path) -> None:
    path = tmp_path / "cut.json"
    path.write_text('[{"a": 1, "b": "x"}, {"a": 2, "b": "y"}, {"a": 3, "b": "unfinish')
    sample = read_sample(str(path))
    assert sample.is_document and sample.records[:2] == [{"a": 1, "b": "x"}, {"a": 2, "b": "y"}]
    assert sample.broken is not None


def test_json_lines_keep_their_first_records(tmp_path: Path) -> None:
    path = tmp_path / "lines.jsonl"
    path.write_text("".join(json.dumps({"n": i}) + "\n" for i in range(20)))
    sample = read_sample(str(path))
    assert not sample.is_document and sample.records == [{"n": i} for i in range(SNIFF_RECORDS)]


# -- text is not data --------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "looks"), [
    ("# Field locations\n\n- `spans[].name`: the span\n| a | b |\n", "Markdown text"),
    ('[a link](https://example.com) and "object": "trace.span" in prose\n', "Markdown text"),
    ("name,start,end\nplan,1,2\nact,2,3\n", "CSV (comma-separated) with columns: name, start, end"),
    ("1,2,3\n4,5,6\n", "CSV (comma-separated) with columns: 1, 2, 3"),
    ("The agent ran at noon and failed.\nNothing else.\n", "plain text"),
], ids=["markdown", "markdown-link", "csv", "csv-numbers", "prose"])
def test_text_is_refused_with_what_it_looks_like_and_a_hint_that_fits(tmp_path: Path, text: str, looks: str) -> None:
    path = tmp_path / "notes.json"
    path.write_text(text)
    with pytest.raises(UnknownFormatError) as caught:
        registry.sniff_file(str(path))
    error = caught.value
    assert f"it looks like {looks}, not JSON or JSON-lines" in error.message
    assert error.where == str(path)
    assert error.hint is not None and "format" not in error.hint.replace("formats", "")
    assert "JSON, JSON-lines, Parquet or SQLite" in error.hint


def test_the_shared_fields_md_is_refused_not_guessed_as_openai_agents() -> None:
    path = shared_file("FIELDS.md")
    sample, views = registry.sniff_details(str(path))
    assert views["openai-agents"].plain > 0  # its head-text check still fires on the prose...
    assert views["openai-agents"].score == 0.0  # ...but text is refused before any score counts
    with pytest.raises(UnknownFormatError, match="Markdown text"):
        registry.sniff_file(str(path))


def test_an_empty_file_says_so_and_hints_at_the_exporter(tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_bytes(b"")
    with pytest.raises(UnknownFormatError) as caught:
        registry.sniff_file(str(path))
    assert "the file is empty (0 bytes)" in caught.value.message
    assert caught.value.hint == "check that the exporter finished writing it"


def test_json_no_loader_claims_but_with_spans_in_it_suggests_auto_json() -> None:
    path = DATA / "auto_json" / "custom_agent_run.json"
    with pytest.raises(UnknownFormatError) as caught:
        registry.sniff_file(str(path))
    assert "whose first record is an object with keys: export_version, run" in caught.value.message
    assert caught.value.hint is not None and "auto-json" in caught.value.hint
    assert "span-like object" in caught.value.hint
    assert "auto-json" not in registry.sniff_scores(str(path))  # suggested, never chosen


@pytest.mark.parametrize("chosen_by_sniffing", [False, True])
def test_a_loader_not_chosen_by_sniffing_scores_nothing_however_sure_its_sniff(
        tmp_path: Path, chosen_by_sniffing: bool) -> None:
    from forensics.loaders.base import Loader

    class Fallback(Loader):
        name = "test-fallback-sniff"
        sniffs = "everything"

        def sniff(self, sample: object) -> float:
            return 1.0

    Fallback.chosen_by_sniffing = chosen_by_sniffing
    path = tmp_path / "run.jsonl"
    path.write_text('{"custom": 1}\n')
    registry.register(Fallback)
    try:
        details = registry.sniff_details(str(path))[1]["test-fallback-sniff"]
        assert details.plain == 1.0  # its own sniff is still asked (and shown by --explain)
        if chosen_by_sniffing:
            assert registry.sniff_file(str(path)).format == "test-fallback-sniff"
        else:
            assert details.score == 0.0
            assert "test-fallback-sniff" not in registry.sniff_scores(str(path))
    finally:
        registry.unregister("test-fallback-sniff")


# -- the CLI -----------------------------------------------------------------------------------------

def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "forensics.cli", *args], capture_output=True, text=True,
                          timeout=120, env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"})


def test_sniff_explain_shows_what_was_read_and_each_loader_score_through_the_wrapper() -> None:
    done = _cli("sniff", "--explain", str(DATA / "otel_clickhouse" / "wrapped_trace.json"))
    assert done.returncode == 0, done.stderr
    text = done.stdout
    assert "read: a JSON document whose first record is an object with keys: spans, trace_id" in text
    assert "wrapper `spans`: 1 record(s) seen; passed down: trace_id='5a1e0c2b9d7f4e3a8b6c1d2e3f405162'" in text
    line = next(x for x in text.splitlines() if "otel-clickhouse" in x and "`spans`" in x)
    assert "0.00" in line and "1.00" in line  # nothing as framed, certain through the wrapper
    assert "its records read through the wrapper key `spans`" in text
    auto = next(x for x in text.splitlines() if x.split("│")[1:2] and x.split("│")[1].strip() == "auto-json")
    assert "never chosen by sniffing (ask with --format)" in auto
    assert "never chosen by sniffing" not in line


def test_sniff_explain_on_markdown_shows_each_loader_refused_then_fails() -> None:
    path = shared_file("FIELDS.md")
    done = _cli("sniff", "--explain", str(path))
    assert done.returncode != 0
    assert "refused: the file is Markdown text" in done.stdout
    assert "--format" not in done.stderr


def test_a_hostile_document_of_many_large_values_is_seen_not_kept(tmp_path: Path) -> None:
    path = tmp_path / "keys.json"
    path.write_bytes(orjson.dumps({f"k{i}": "x" * 60_000 for i in range(400)}))  # 24 MB, every value just small
    tracemalloc.start()
    sample = read_sample(str(path))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert len(sample.keys) == 400  # every key seen...
    assert ... in sample.first.values() and sample.first["k0"] == "x" * loader_sampling.SNIFF_STRING_CHARS  # ...not every value kept
    assert peak < 12 * MiB, f"held {peak / MiB:.1f} MiB"
