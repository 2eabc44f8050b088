"""``forensics.load``: files, directories, globs and ``.gz`` in; one span table, a quarantine and
an accounting report out.

After every file is read, one vectorised pass over the whole table (forensics/finalize.py) finalises it (the same for
every format): spans that end before they start and duplicate span ids move to the quarantine;
``transfer_to_<agent>`` tool calls become handoffs; ``agent`` is inherited from the nearest agent
ancestor; a run's ``session_id`` is filled on all its spans.
"""

from __future__ import annotations

import glob
import html
import os
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pyarrow as pa

from .errors import InputError, InternalError, UnknownFormatError
from .finalize import finalize as finalize  # re-exported: `from forensics.load import finalize`
from .finalize import finalize_rows
from .loaders import registry, vectorised, vectorised_otlp
from .loaders.base import (
    DEFAULT_LIMITS,
    FileAccount,
    Limits,
    Source,
    SpanSink,
    display_path,
)
from .loaders.sql import is_url
from .loaders.task_run_ids import separate_task_runs
from .schema import QUARANTINE_SCHEMA, SPAN_SCHEMA
from .urls import display_url

# What a directory walk reads and passes over is decided in forensics/walk.py (suffixes, labels,
# and the content of files with another suffix); LOG_SUFFIXES and LABEL_FILE_NAMES stay importable here.
from .walk import LABEL_FILE_NAMES, LOG_SUFFIXES, walk  # noqa: F401

PathLike = str | os.PathLike[str]


@dataclass
class LoadReport:
    """Per-file accounting: every record read is a row, a quarantined record or merged."""

    files: list[FileAccount] = field(default_factory=list)

    @property
    def records_read(self) -> int:
        return sum(f.records_read for f in self.files)

    @property
    def rows(self) -> int:
        return sum(f.rows for f in self.files)

    @property
    def quarantined(self) -> int:
        return sum(f.quarantined for f in self.files)

    @property
    def merged(self) -> int:
        return sum(f.merged for f in self.files)

    @property
    def problems(self) -> list[FileAccount]:
        """Files that could not be read at all (unknown format, unreadable)."""
        return [f for f in self.files if f.problem]

    @property
    def balanced(self) -> bool:
        return all(f.balanced for f in self.files)

    @property
    def ok(self) -> bool:
        """True when every file was read and nothing was quarantined."""
        return not self.problems and self.quarantined == 0

    def to_polars(self) -> pl.DataFrame:
        return pl.DataFrame(
            [
                {
                    "file": f.path, "format": f.format, "chosen_by": f.chosen_by,
                    "confidence": f.confidence, "records_read": f.records_read, "rows": f.rows,
                    "quarantined": f.quarantined, "merged": f.merged,
                    "reasons": ", ".join(f"{k}={v}" for k, v in sorted(f.reasons.items())),
                    "problem": f.problem, "seconds": round(f.seconds, 3),
                }
                for f in self.files
            ],
            schema={"file": pl.String, "format": pl.String, "chosen_by": pl.String, "confidence": pl.Float64,
                    "records_read": pl.Int64, "rows": pl.Int64, "quarantined": pl.Int64, "merged": pl.Int64,
                    "reasons": pl.String, "problem": pl.String, "seconds": pl.Float64},
        )

    def summary(self) -> str:
        text = (f"{len(self.files)} file(s): {self.records_read:,} records read = {self.rows:,} rows"
                f" + {self.quarantined:,} quarantined + {self.merged:,} merged")
        if self.problems:
            text += f"; {len(self.problems)} file(s) not read"
        return text

    def __str__(self) -> str:
        lines = [self.summary()]
        for f in self.files:
            how = f"{f.format} ({f.chosen_by}{f', {f.confidence:.2f}' if f.chosen_by == 'sniffed' else ''})" if f.format else "-"
            line = f"  {f.path}: {how}: {f.records_read:,} read = {f.rows:,} rows + {f.quarantined:,} quarantined + {f.merged:,} merged"
            if f.reasons:
                line += " [" + ", ".join(f"{k}={v}" for k, v in sorted(f.reasons.items())) + "]"
            if f.problem:
                line = f"  {f.path}: NOT READ: {f.problem}"
            lines.append(line)
            lines.extend(f"    {note}" for note in f.notes)
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        head = "<tr>" + "".join(f"<th>{h}</th>" for h in ("file", "format", "read", "rows", "quarantined", "merged", "reasons / problem")) + "</tr>"
        body = "".join(
            "<tr>" + "".join(
                f"<td>{html.escape(str(v))}</td>"
                for v in (f.path, f.format or "-", f.records_read, f.rows, f.quarantined, f.merged,
                          f.problem or ", ".join(f"{k}={n}" for k, n in sorted(f.reasons.items())))
            ) + "</tr>"
            for f in self.files
        )
        return f"<p>{html.escape(self.summary())}</p><table>{head}{body}</table>"


@dataclass
class LoadResult:
    """What :func:`load` returns: the span table, the quarantine, and the accounting report."""

    spans: pa.Table
    quarantine: pa.Table
    report: LoadReport

    def to_polars(self) -> pl.DataFrame:
        return pl.from_arrow(self.spans)  # type: ignore[return-value]

    def to_pandas(self) -> Any:
        return self.spans.to_pandas()

    @property
    def run_ids(self) -> list[str]:
        return pl.from_arrow(self.spans.select(["run_id"])).get_column("run_id").unique(maintain_order=True).to_list()  # type: ignore[union-attr]

    def __repr__(self) -> str:
        return f"LoadResult({self.spans.num_rows:,} spans in {len(self.run_ids):,} runs)\n{self.report}"

    def _repr_html_(self) -> str:
        return (f"<b>LoadResult</b>: {self.spans.num_rows:,} spans in {len(self.run_ids):,} runs"
                + self.report._repr_html_())


ProgressFn = Callable[[str, int, int], None]


def load(
    paths: PathLike | Iterable[PathLike],
    format: str | None = None,
    *,
    limits: Limits | None = None,
    options: dict[str, Any] | None = None,
    progress: ProgressFn | None = None,
) -> LoadResult:
    """Load agent logs into the canonical span table.

    ``paths``: files, directories (walked for ``*.json``, ``*.jsonl``, ``*.ndjson``, ``*.gz``,
    ``*.parquet``, ``*.log``, and files of any other suffix whose content a loader recognises, such
    as a ConsoleSpanExporter capture saved as ``.txt``: forensics.walk), globs, or a list of them.
    ``format``: a registered loader name; ``None`` sniffs each file and records which loader it chose. ``options`` go to the loader (the
    ``jsonl`` loader's ``field_map``, say). A file named explicitly that no loader recognises raises
    :class:`UnknownFormatError`; one found by walking a directory is reported as not read.
    ``progress(path, index, total)`` is called before each file.
    """
    limits = limits or DEFAULT_LIMITS
    files = expand_paths(paths)
    if format is not None:
        registry.get(format)  # fail before reading anything when the name is wrong
    read: list[tuple[str, str | None, pa.Table]] = []
    quarantines: list[pa.Table] = []
    report = LoadReport()
    for index, (path, explicit) in enumerate(files):
        if progress is not None:
            progress(path, index, len(files))
        account, table, quarantine = load_file(path, format, limits=limits, options=options, explicit=explicit)
        report.files.append(account)
        read.append((path, account.format, table))
        quarantines.append(quarantine)
    # Two files of one task (a Who&When question_ID) are two runs: ids made distinct before
    # finalisation would take the second for copies of the first.
    tables = separate_task_runs(read)
    read.clear()
    ends = np.cumsum([t.num_rows for t in tables], dtype=np.int64)  # file i's rows end before ends[i]
    spans = pa.concat_tables(tables) if tables else vectorised.empty(SPAN_SCHEMA)
    tables.clear()  # the columns finalize rewrites are freed once it returns, not held here too
    spans, late, late_rows, unparented = finalize_rows(spans)
    _move_to_quarantine(report, late, np.searchsorted(ends, late_rows, side="right"))
    _say_unparented(report, np.searchsorted(ends, unparented, side="right"))
    quarantine_all = pa.concat_tables([*quarantines, late]) if quarantines else late
    if not report.balanced:
        bad = [f.path for f in report.files if not f.balanced]
        raise InternalError(f"the accounting does not add up for {bad}", hint="this is a bug; please report it")
    return LoadResult(spans=spans, quarantine=quarantine_all, report=report)


def load_file(
    path: str,
    format: str | None = None,
    *,
    limits: Limits = DEFAULT_LIMITS,
    options: dict[str, Any] | None = None,
    explicit: bool = True,
) -> tuple[FileAccount, pa.Table, pa.Table]:
    """Read one file with one loader (not finalised: :func:`load` finalises across files)."""
    started = time.perf_counter()
    confidence = 1.0
    chosen_by = "given"
    if is_url(path):
        shown = display_url(path)  # never show a password in a report
        if format is None:
            format, chosen_by = "sql", "sniffed"
    else:
        shown = display_path(path)
    if format is None:
        try:
            sniffed = registry.sniff_file(path, limits)
        except UnknownFormatError as exc:
            if explicit:
                raise UnknownFormatError(shown, exc.candidates, registry.names(),
                                         detail=_detail_of(exc)) from None
            account = FileAccount(path=shown, format=None, chosen_by="skipped", problem=exc.message)
            return account, vectorised.empty(SPAN_SCHEMA), vectorised.empty(QUARANTINE_SCHEMA)
        format, confidence, chosen_by = sniffed.format, sniffed.confidence, "sniffed"
    reader = _VECTORISED.get(format)
    if reader is not None and not options and not is_url(path) and reader.wanted(path) and reader.eligible(path, limits):
        part = read_vectorised(path, limits, shown, reader)
    else:
        part = read_range(path, format, options, limits, shown, None)
    account = FileAccount(
        path=shown, format=format, chosen_by=chosen_by, confidence=confidence,
        records_read=part.rows + part.quarantined + part.merged, rows=part.rows,
        quarantined=part.quarantined, merged=part.merged,
        reasons=dict(part.reasons), seconds=time.perf_counter() - started, notes=list(part.notes),
    )
    table, quarantine = part.table, part.quarantine
    return account, table, quarantine


@dataclass
class _Part:
    """What one reader (the whole file, or one byte range of it) produced."""

    table: pa.Table
    quarantine: pa.Table
    rows: int
    quarantined: int
    merged: int
    reasons: dict[str, int]
    #: The loader's notes on the file (see SpanSink.note).
    notes: list[str] = field(default_factory=list)


#: The formats with a vectorised JSON-lines reader (format -> its module: wanted, eligible, read).
_VECTORISED: dict[str, Any] = {vectorised.FORMAT: vectorised, vectorised_otlp.FORMAT: vectorised_otlp}


def read_vectorised(path: str, limits: Limits, shown: str, reader: Any = vectorised) -> _Part:
    """Read a JSON-lines file with DuckDB's threads (the OTel SDK's span JSON, OTLP/JSON requests);
    the lines it cannot prove it maps as the per-record loader does go to that loader (see
    forensics.loaders.vectorised and vectorised_otlp)."""
    try:
        done = reader.read(path, shown, limits)
    except (InputError, InternalError):
        raise
    except Exception as exc:
        raise InternalError(f"the vectorised reader of `{reader.FORMAT}` failed: {type(exc).__name__}: {exc}",
                            where=shown, hint="this is a bug; FORENSICS_VECTORISED=0 reads the file record by record") from exc
    return _Part(done.spans, done.quarantine, done.rows, done.quarantined, done.merged, dict(done.reasons),
                 notes=done.notes)


def read_range(path: str, format: str, options: dict[str, Any] | None, limits: Limits, shown: str,
               byte_range: tuple[int, int, int] | None) -> _Part:
    """Run one loader over a file, or over one line-aligned byte range of it."""
    sink = SpanSink(format, shown, limits)
    source = Source(path, sink, limits, display=shown, byte_range=byte_range)
    try:
        loader = registry.get(format)(**(options or {}))
        loader.read(source, sink)
    except InputError as exc:
        if type(exc) is InputError and exc.where is None:  # a bad option: say which file it was read for
            raise InputError(exc.message, where=shown, hint=exc.hint) from None
        raise
    except InternalError:
        raise
    except Exception as exc:
        raise InternalError(
            f"loader `{format}` crashed after {sink.records_read:,} records: {type(exc).__name__}: {exc}",
            where=shown,
            hint="this is a bug in the loader; the file may also be of another format (pass format=)",
        ) from exc
    return _Part(sink.table(), sink.quarantine_table(), sink.rows, sink.quarantined, sink.merged_count, dict(sink.reasons),
                 notes=list(sink.notes))


# No process pool here (issue 15): a library that spawns processes re-imports the caller's script
# in each of them, so a plain script calling load() at top level without a main guard crashed with
# multiprocessing's "bootstrapping phase" error, and notebooks and web workers paid a spawn per
# file. Parallelism comes from the engines' own threads; the nightly CLI may still run whole files
# side by side (forensics.batch).


def _detail_of(exc: UnknownFormatError) -> str:
    # Keep the "what it looks like" part of the message, drop the path (we re-add the shown one).
    msg = exc.message
    for prefix in ("no registered loader recognises this file", "several formats match equally well: "):
        if msg.startswith(prefix) and prefix.startswith("no"):
            return msg[len(prefix):]
    return ""


def expand_paths(paths: PathLike | Iterable[PathLike]) -> list[tuple[str, bool]]:
    """Expand files, directories and globs to ``[(file, named_explicitly)]`` in a stable order."""
    items: Sequence[PathLike] = [paths] if isinstance(paths, str | os.PathLike) else list(paths)
    if not items:
        raise InputError("no paths given", hint="pass a file, a directory or a glob")
    out: list[tuple[str, bool]] = []
    seen: set[str] = set()
    for item in items:
        text = os.fspath(item)
        if is_url(text):  # a database, read by the `sql` loader
            out.append((text, True))
            continue
        if any(ch in text for ch in "*?["):
            matches = sorted(glob.glob(text, recursive=True))
            if not matches:
                raise InputError(f"the glob `{text}` matches no file",
                                 hint="check the pattern; use ** for subdirectories")
            found = [(m, True) for m in matches if os.path.isfile(m)]
        elif os.path.isdir(text):
            found = [(p, False) for p in _walk(text)]
        elif os.path.isfile(text):
            found = [(text, True)]
        else:
            raise InputError(f"no such file or directory: {text}",
                             hint=f"the current directory is {os.getcwd()}")
        for path, explicit in found:
            key = os.path.abspath(path)
            if key not in seen:
                seen.add(key)
                out.append((path, explicit))
    return out


def _walk(directory: str) -> list[str]:
    return walk(directory).files


# --- finalisation: forensics/finalize.py (re-exported here: `from forensics.load import finalize`) ---


def _say_unparented(report: LoadReport, files: np.ndarray) -> None:
    """Count, per file, the spans kept whose parent id names no span loaded, and say so in its
    notes: nothing is quarantined (the span is real, its parent was not exported: a smolagents
    agent whose ``run()`` raised leaves its run span unended, openinference ``_RunWrapper``), but a
    tree read with a hole in it is said, not silent."""
    for index, count in zip(*np.unique(files, return_counts=True), strict=True):
        account = report.files[int(index)]
        account.unparented = int(count)
        account.notes.append(
            f"{int(count):,} span(s) kept whose parent span is in no file loaded (never exported, or in a file not "
            "read): each starts a subtree of its own. Hint: load the run's other files together"
        )


def _move_to_quarantine(report: LoadReport, late: pa.Table, files: np.ndarray) -> None:
    """Spans quarantined by finalisation were counted as rows by their file: move them. ``files``
    is each record's index in ``report.files``, found from the row it was, not from its
    ``source_file``: a saved span table keeps naming the file each span was first read from."""
    if late.num_rows == 0:
        return
    counts: Counter[tuple[int, str]] = Counter(zip(files.tolist(), late.column("reason").to_pylist(), strict=True))
    for (index, reason), n in counts.items():
        account = report.files[index]
        account.rows -= n
        account.quarantined += n
        account.reasons[reason] = account.reasons.get(reason, 0) + n


def read_paths(paths: Iterable[PathLike]) -> list[Path]:
    """The files ``paths`` expand to (for the CLI's listing)."""
    return [Path(p) for p, _ in expand_paths(list(paths))]
