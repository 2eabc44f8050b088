"""The seed corpus of each loader: where coverage-guided fuzzing starts from.

A loader's seeds are every real sample (``../shared/formats``, the Who&When histories) and test
fixture (``tests/data``) that sniffs as that loader, the fixtures in its own ``tests/data/<name>``
directory (malformed ones included, which do not sniff), generated seeds for input kinds no JSON
file covers (a SQLite database for ``sql``, Parquet for the loaders that read it, one gzip file per
loader), and every crash kept in ``tests/fuzz_regressions/<loader>/``.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import shutil
import sqlite3
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any

from forensics.errors import ForensicsError
from forensics.loaders import names, sniff_file

TESTS = Path(__file__).resolve().parents[1]
DATA = TESTS / "data"
REGRESSIONS = TESTS / "fuzz_regressions"
#: ../shared beside the repository, or wherever FORENSICS_SHARED points (tests/realdata.py reads it too).
SHARED = Path(os.environ.get("FORENSICS_SHARED") or TESTS.parents[1] / "shared")
FORMATS = SHARED / "formats"
WHO_AND_WHEN = SHARED / "datasets" / "who_and_when_dev"
#: Input files kept beside a regression are notes about it, never inputs.
NOTE_SUFFIX = ".note"
#: Who&When histories are 5-100 KB each; a few small ones are seeds enough.
AG2_SEEDS = 3


def regression_inputs(loader: str | None = None) -> list[tuple[str, Path]]:
    """``(loader, file)`` for every kept crash input (``tests/fuzz_regressions/<loader>/*``)."""
    out: list[tuple[str, Path]] = []
    if not REGRESSIONS.is_dir():
        return out
    for folder in sorted(p for p in REGRESSIONS.iterdir() if p.is_dir()):
        if loader is not None and folder.name != loader:
            continue
        out += [(folder.name, f) for f in sorted(folder.iterdir()) if f.is_file() and f.suffix != NOTE_SUFFIX]
    return out


@lru_cache(maxsize=1)
def _sniffed_files() -> dict[Path, str]:
    candidates = [p for root in (DATA, FORMATS) if root.is_dir() for p in sorted(root.rglob("*"))
                  if p.is_file() and p.suffix in (".json", ".jsonl", ".gz")]
    # tests/data holds verbatim copies of some ../shared samples: sniff each content once.
    by_content: dict[bytes, Path] = {}
    for path in candidates:
        by_content.setdefault(hashlib.sha256(path.read_bytes()).digest(), path)
    candidates = list(by_content.values())
    out: dict[Path, str] = {}
    for path in candidates:
        try:
            out[path] = sniff_file(str(path)).format
        except ForensicsError:
            continue  # malformed fixtures are picked up by their directory instead
    return out


def seed_files(loader: str) -> list[Path]:
    """The existing files that seed ``loader``: samples and fixtures that sniff as it, its fixture
    directory, a few Who&When histories for ``ag2-history``, and its kept crashes."""
    files = [p for p, fmt in _sniffed_files().items() if fmt == loader]
    for directory in (DATA / loader.replace("-", "_"), DATA / loader.removesuffix("-json").replace("-", "_")):
        if directory.is_dir():
            files += [p for p in sorted(directory.iterdir()) if p.is_file() and p.suffix in (".json", ".jsonl")]
    if loader == "ag2-history" and WHO_AND_WHEN.is_dir():
        histories = sorted(WHO_AND_WHEN.glob("*.json"), key=lambda p: (p.stat().st_size, p.name))
        files += histories[:AG2_SEEDS]
    files += [f for _, f in regression_inputs(loader)]
    by_content: dict[bytes, Path] = {}  # tests/data holds copies of some ../shared files: seed each once
    for path in files:
        by_content.setdefault(hashlib.sha256(path.read_bytes()).digest(), path)
    return list(by_content.values())


def generated_seeds(loader: str, files: list[Path]) -> dict[str, bytes]:
    """Seeds built here: a SQLite database (``sql``), Parquet (``openinference``,
    ``otel-clickhouse``, ``span-table``), and the smallest JSON seed gzipped (every loader reads ``.gz``) and wrapped
    in a ``{"trace_id", "spans": [...]}`` document (every loader reads its records through a wrapper)."""
    out: dict[str, bytes] = {}
    if loader == "sql":
        out["spans.db"] = _sqlite_seed()
    if loader == "otel-clickhouse":
        out["otel_traces.parquet"] = _clickhouse_parquet_seed()
    if loader == "span-table":
        out["spans.parquet"] = _span_table_seed()
    phoenix = DATA / "openinference" / "phoenix_dataframe.jsonl"
    if loader == "openinference" and phoenix.exists():
        out["phoenix_dataframe.parquet"] = _parquet_seed(phoenix)
    sniffed = _sniffed_files()
    json_files = [f for f in files if sniffed.get(f) == loader] or [f for f in files if f.suffix in (".json", ".jsonl")]
    if json_files:
        smallest = min(json_files, key=lambda p: (p.stat().st_size, p.name))
        out[smallest.name + ".gz"] = gzip.compress(smallest.read_bytes(), mtime=0)
        for candidate in sorted(json_files, key=lambda p: (p.stat().st_size, p.name)):  # the smallest that parses
            wrapped = _wrapped_seed(candidate)
            if wrapped is not None:
                out["wrapped-" + candidate.stem + ".json"] = wrapped
                break
    return out


def _span_table_seed() -> bytes:
    """forensics' own span table as ``forensics classify --out`` writes it: a sample file, loaded."""
    import pyarrow.parquet as pq

    import forensics

    buffer = io.BytesIO()
    pq.write_table(forensics.load(TESTS.parent / "sample_logs" / "02_crm_lookup_loop.otel.jsonl").spans, buffer)
    return buffer.getvalue()


def _wrapped_seed(path: Path) -> bytes | None:
    """The file's records wrapped in a document, ``{"trace_id": ..., "spans": [records]}``: the
    shape the shared framing reads through (``Source.records``); None when it is not JSON records."""
    text = path.read_text(encoding="utf-8", errors="replace")
    try:
        doc = json.loads(text)
        records = doc if isinstance(doc, list) else [doc]
    except ValueError:
        try:
            records = [json.loads(line) for line in text.splitlines() if line.strip()]
        except ValueError:
            return None
    if not records or not all(isinstance(r, dict) for r in records):
        return None
    return json.dumps({"trace_id": "0af7651916cd43dd8448eb211c80319c", "spans": records}, indent=1).encode()


def write_corpus(loader: str, directory: Path) -> int:
    """Write ``loader``'s seeds into ``directory`` (a libFuzzer corpus); return how many."""
    directory.mkdir(parents=True, exist_ok=True)
    files = seed_files(loader)
    for i, path in enumerate(files):
        shutil.copyfile(path, directory / f"seed-{i:03d}-{path.name}")
    generated = generated_seeds(loader, files)
    for name, data in generated.items():
        (directory / f"seed-gen-{name}").write_bytes(data)
    return len(files) + len(generated)


def _sqlite_seed() -> bytes:
    # A Phoenix-like `spans` table: the shape the sql loader reads without options.
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "spans.db"
        con = sqlite3.connect(path)
        try:
            con.execute("create table spans (span_id text, trace_id text, parent_id text, name text, span_kind text,"
                        " start_time text, end_time text, status_code text, status_message text, attributes text)")
            con.executemany(
                "insert into spans values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [("a1b2c3d4e5f60718", "5af7651916cd43dd8448eb211c80319c", None, "planner", "AGENT",
                  "2025-04-01T10:00:00Z", "2025-04-01T10:00:02Z", "OK", None,
                  json.dumps({"agent": {"name": "planner"}})),
                 ("a1b2c3d4e5f60719", "5af7651916cd43dd8448eb211c80319c", "a1b2c3d4e5f60718", "search", "TOOL",
                  "2025-04-01T10:00:01Z", "2025-04-01T10:00:01.5Z", "ERROR", "timeout",
                  json.dumps({"tool": {"name": "search"}, "llm": {"model_name": "gpt-4o"}}))],
            )
            con.commit()
        finally:
            con.close()
        return path.read_bytes()


def _parquet_seed(jsonl: Path) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    records = [json.loads(line) for line in jsonl.read_text().splitlines() if line.strip()]
    # Nested values become JSON text: Parquet needs one type per column, these fixtures vary.
    flat = [{k: v if isinstance(v, str | int | float | bool) or v is None else json.dumps(v) for k, v in r.items()}
            for r in records]
    buffer = io.BytesIO()
    pq.write_table(pa.Table.from_pylist(flat), buffer)
    return buffer.getvalue()


def clickhouse_otel_traces_table() -> Any:
    """Two spans with the column types the ClickHouse exporter's otel_traces table has (Map
    columns, Nested events): a fuzzing seed, and the otel-clickhouse loader test's input."""
    import pyarrow as pa

    string_map = pa.map_(pa.string(), pa.string())
    return pa.table({
        "Timestamp": pa.array([1743501600_000000000, 1743501601_000000000], pa.timestamp("ns")),
        "TraceId": ["5af7651916cd43dd8448eb211c80319c"] * 2,
        "SpanId": ["f000000000000001", "f000000000000002"],
        "ParentSpanId": ["", "f000000000000001"],
        "SpanName": ["Agent", "lookup"],
        "SpanKind": ["Internal", "Internal"],
        "ServiceName": ["svc", "svc"],
        "SpanAttributes": pa.array([[("openinference.span.kind", "AGENT")],
                                    [("openinference.span.kind", "TOOL"), ("tool.name", "lookup")]], string_map),
        "Duration": pa.array([2_000_000_000, 500_000_000], pa.uint64()),
        "StatusCode": ["Ok", "Error"],
        "StatusMessage": ["", "not found"],
        "Events": pa.array([[], [{"Timestamp": 1743501601_400000000, "Name": "exception",
                                  "Attributes": [("exception.type", "KeyError")]}]],
                           pa.list_(pa.struct([("Timestamp", pa.int64()), ("Name", pa.string()),
                                               ("Attributes", string_map)]))),
    })


def _clickhouse_parquet_seed() -> bytes:
    import pyarrow.parquet as pq

    buffer = io.BytesIO()
    pq.write_table(clickhouse_otel_traces_table(), buffer)
    return buffer.getvalue()


#: The harness's name for fuzzing every loader in one process: an input's first byte picks the
#: loader (``loaders()[byte % len(loaders())]``), the rest is the file. One start-up (importing and
#: instrumenting takes seconds) instead of one per loader: what makes a short CI budget worth it.
ALL = "all"


def split_selector(data: bytes, known: list[str]) -> tuple[str, bytes] | None:
    """``all`` mode: the loader an input is for and the file's bytes; ``None`` for an empty input."""
    if not data:
        return None
    return known[data[0] % len(known)], data[1:]


def write_combined_corpus(known: list[str], per_loader: Path, directory: Path) -> int:
    """``all`` mode's seeds: each loader's seeds (already in ``per_loader/<loader>``) with the
    selector byte in front."""
    directory.mkdir(parents=True, exist_ok=True)
    count = 0
    for index, loader in enumerate(known):
        for seed in sorted((per_loader / loader).iterdir()):
            (directory / f"{loader}-{seed.name}").write_bytes(bytes([index]) + seed.read_bytes())
            count += 1
    return count


def loaders() -> list[str]:
    """Every registered loader: a new one is fuzzed without touching this package."""
    return names()
