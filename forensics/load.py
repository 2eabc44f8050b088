"""``forensics.load``: files, directories, globs and ``.gz`` in; one span table, a quarantine and
an accounting report out.

After every file is read, one vectorised pass over the whole table finalises it (the same for
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

import polars as pl
import pyarrow as pa

from .errors import InputError, InternalError, UnknownFormatError
from .loaders import registry, vectorised
from .loaders.base import (
    DEFAULT_LIMITS,
    FileAccount,
    Limits,
    Source,
    SpanSink,
    display_path,
)
from .loaders.sql import is_url
from .schema import QUARANTINE_SCHEMA, SPAN_COLUMNS, SPAN_SCHEMA
from .urls import display_url

#: Suffixes a directory walk picks up (a file named explicitly is always read).
LOG_SUFFIXES = (".json", ".jsonl", ".ndjson", ".gz", ".parquet", ".log")

#: Ground-truth files that sit beside logs; a directory walk skips them, saying so.
LABEL_FILE_NAMES = ("labels.jsonl",)

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
    ``*.parquet``, ``*.log``), globs, or a list of them. ``format``: a registered loader name;
    ``None`` sniffs each file and records which loader it chose. ``options`` go to the loader (the
    ``jsonl`` loader's ``field_map``, say). A file named explicitly that no loader recognises raises
    :class:`UnknownFormatError`; one found by walking a directory is reported as not read.
    ``progress(path, index, total)`` is called before each file.
    """
    limits = limits or DEFAULT_LIMITS
    files = expand_paths(paths)
    if format is not None:
        registry.get(format)  # fail before reading anything when the name is wrong
    tables: list[pa.Table] = []
    quarantines: list[pa.Table] = []
    report = LoadReport()
    for index, (path, explicit) in enumerate(files):
        if progress is not None:
            progress(path, index, len(files))
        account, table, quarantine = load_file(path, format, limits=limits, options=options, explicit=explicit)
        report.files.append(account)
        tables.append(table)
        quarantines.append(quarantine)
    spans = pa.concat_tables(tables) if tables else vectorised.empty(SPAN_SCHEMA)
    tables.clear()  # the columns finalize rewrites are freed once it returns, not held here too
    spans, late = finalize(spans)
    _move_to_quarantine(report, late)
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
    if format == vectorised.FORMAT and not options and not is_url(path) and vectorised.wanted(path) \
            and vectorised.eligible(path, limits):
        part = read_vectorised(path, limits, shown)
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


def read_vectorised(path: str, limits: Limits, shown: str) -> _Part:
    """Read a JSON-lines file of the OTel SDK's span JSON with DuckDB's threads; the lines it cannot
    prove it maps as the per-record loader does go to that loader (see forensics.loaders.vectorised)."""
    try:
        done = vectorised.read(path, shown, limits)
    except (InputError, InternalError):
        raise
    except Exception as exc:
        raise InternalError(f"the vectorised reader of `{vectorised.FORMAT}` failed: {type(exc).__name__}: {exc}",
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
    files = []
    for root, dirs, names in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if not d.startswith((".", "_")))
        for name in sorted(names):
            if name.startswith((".", "_")) or name in LABEL_FILE_NAMES or name.endswith(".labels.jsonl"):
                continue
            if name.lower().endswith(LOG_SUFFIXES):
                files.append(os.path.join(root, name))
    return files


# --- finalisation ------------------------------------------------------------------------------

#: Pointer-jumping rounds for agent inheritance: resolves ancestries up to 2**16 levels deep.
_MAX_JUMPS = 16


#: The columns finalisation reads besides the ids; the wide text columns (input, output,
#: attributes) never leave Arrow.
_NARROW = ("session_id", "name", "kind", "agent", "tool", "handoff_to", "start_time", "end_time")
#: The columns finalisation may rewrite.
_REWRITTEN = ("kind", "handoff_to", "agent", "session_id")


def _narrow_frame(spans: pa.Table) -> pl.DataFrame:
    """The narrow columns with the ids as integer codes: ``run_k`` from run_id, ``span_k`` and
    ``parent_k`` from one dictionary of span and parent ids (equal ids, equal codes; null stays
    null). Grouping and joining on 4-byte codes instead of the id strings is what keeps
    finalisation's memory small (issue 15 item 5: the string keys' hash tables and join copies were
    ~1.7 GB at 3M spans)."""
    import pyarrow.compute as pc

    n = spans.num_rows
    run_k = pc.dictionary_encode(spans.column("run_id")).combine_chunks().indices
    ids = pa.chunked_array([*spans.column("span_id").chunks, *spans.column("parent_id").chunks], pa.string())
    codes = pc.dictionary_encode(ids).combine_chunks().indices
    del ids
    pa.default_memory_pool().release_unused()  # the dictionaries' hash tables
    df = pl.from_arrow(spans.select(list(_NARROW)))
    assert isinstance(df, pl.DataFrame)
    return df.with_columns(run_k=pl.Series(run_k), span_k=pl.Series(codes.slice(0, n)), parent_k=pl.Series(codes.slice(n)))


def finalize(spans: pa.Table) -> tuple[pa.Table, pa.Table]:
    """Vectorised clean-up of a freshly loaded table; returns ``(spans, quarantined)``.

    Works on the narrow columns only (the ids as integer codes) and patches the Arrow table: a night
    of spans is never copied whole (the wide text columns dominate its size).
    """
    if spans.num_rows == 0:
        return spans, vectorised.empty(QUARANTINE_SCHEMA)
    # What Arrow's allocator keeps of the read goes back to the system before polars allocates its own.
    pa.default_memory_pool().release_unused()
    df = _narrow_frame(spans).with_row_index("_i")

    # One 64-bit key per (run, span) (a null code its own value, as a null id was its own group)
    none = 0xFFFFFFFF
    key = (pl.col("run_k").cast(pl.UInt64).fill_null(none) * (1 << 32)) + pl.col("span_k").cast(pl.UInt64).fill_null(none)
    first_seen = key.is_first_distinct()
    backwards = pl.col("end_time").is_not_null() & pl.col("start_time").is_not_null() & (pl.col("end_time") < pl.col("start_time"))
    df = df.with_columns(_dup=~first_seen, _back=backwards)
    rejected = df.filter(pl.col("_dup") | pl.col("_back"))
    quarantined = _quarantine_rows(spans, df, rejected)
    if rejected.height:
        keep = ~(df.get_column("_dup") | df.get_column("_back"))
        df = df.filter(keep)
        spans = spans.filter(keep.to_arrow())
    df = df.drop("_dup", "_back")

    df = _handoffs_from_transfer_tools(df)
    df = _inherit_agents(df)
    df = df.with_columns(pl.col("session_id").fill_null(pl.col("session_id").drop_nulls().first().over("run_k")))

    for column in _REWRITTEN:
        index = SPAN_SCHEMA.get_field_index(column)
        spans = spans.set_column(index, SPAN_SCHEMA.field(index), df.get_column(column).to_arrow().cast(pa.string()))
    return spans, quarantined


def _quarantine_rows(spans: pa.Table, df: pl.DataFrame, rejected: pl.DataFrame) -> pa.Table:
    """Duplicates (saying where the first copy is) and spans ending before they start."""
    if rejected.height == 0:
        return vectorised.empty(QUARANTINE_SCHEMA)
    firsts = df.filter(~pl.col("_dup")).select("run_k", "span_k", pl.col("_i").alias("_first_i"))
    where = rejected.select("_i", "run_k", "span_k", "_dup", "_back").join(
        firsts, on=["run_k", "span_k"], how="left", maintain_order="left")
    at = pl.from_arrow(spans.select(["source_file", "source_line"]).take(where.get_column("_first_i").to_arrow()))
    assert isinstance(at, pl.DataFrame)
    full = pl.from_arrow(spans.take(where.get_column("_i").to_arrow()))
    assert isinstance(full, pl.DataFrame)
    full = full.with_columns(
        where.select("_dup", "_back"),
        _first_at=at.get_column("source_file") + ":" + at.get_column("source_line").cast(pl.String),
    )
    full = full.with_columns(
        reason=pl.when(pl.col("_dup")).then(pl.lit("duplicate-span-id")).otherwise(pl.lit("end-before-start")),
        detail=pl.when(pl.col("_dup")).then(
            pl.format("span id {} appears again in run {}; first seen at {}. The first one is kept. "
                      "Hint: the same trace may have been exported twice", "span_id", "run_id", "_first_at")
        ).otherwise(
            pl.format("span {} ends at {} before it starts at {}; expected end >= start. "
                      "Hint: check the exporter's clock or time units",
                      "span_id", pl.col("end_time").cast(pl.String), pl.col("start_time").cast(pl.String))
        ),
    )
    return _as_quarantine(full).to_arrow().cast(QUARANTINE_SCHEMA)


def _as_quarantine(rows: pl.DataFrame) -> pl.DataFrame:
    raw = pl.struct([pl.col(c).cast(pl.String) if c in ("start_time", "end_time") else pl.col(c)
                     for c in SPAN_COLUMNS]).struct.json_encode()
    return rows.select(
        pl.col("source_file"), pl.col("source_line"), pl.col("source_format"),
        pl.col("reason"), pl.col("detail"), raw.alias("raw"),
    )


def _handoffs_from_transfer_tools(df: pl.DataFrame) -> pl.DataFrame:
    """``transfer_to_<agent>`` tool calls are handoffs in every framework that uses them.

    The target is extracted on the few rows whose tool (or name) starts with ``transfer_to_`` and
    scattered back: the regex over every row made a string column the height of the night."""
    text = pl.coalesce("tool", "name")
    rows = df.select(pl.arg_where(pl.col("kind").is_in(["tool", "unknown"]) & text.str.starts_with("transfer_to_"))).to_series()
    if rows.len() == 0:
        return df
    found = df[rows].select(pl.col("handoff_to"), text.str.extract(r"^transfer_to_(.+)$").alias("_target"))
    hit = found.get_column("_target").is_not_null()
    rows, found = rows.filter(hit), found.filter(hit)
    if rows.len() == 0:
        return df
    kind = df.get_column("kind").clone().scatter(rows, "handoff")
    target = df.get_column("handoff_to").clone().scatter(rows, found.select(pl.coalesce("handoff_to", "_target")).to_series())
    return df.with_columns(kind=kind, handoff_to=target)


def _inherit_agents(df: pl.DataFrame) -> pl.DataFrame:
    """Fill ``agent`` from the nearest agent ancestor, by pointer jumping over row indices."""
    df = df.drop("_i").with_row_index("_i")
    own = pl.when(pl.col("kind") == "agent").then(pl.coalesce("agent", "name")).otherwise(pl.col("agent"))
    df = df.with_columns(agent=own)
    if df.get_column("agent").null_count() == 0:
        return df
    # Joined on the integer keys alone: a join of the whole frame copied its string columns.
    index = df.select("run_k", pl.col("span_k").alias("parent_k"), pl.col("_i").alias("_anc"))
    anc = df.select("run_k", "parent_k").join(index, on=["run_k", "parent_k"], how="left",
                                              maintain_order="left").get_column("_anc")
    del index
    # The jumps move row numbers (which row's agent a row takes), not the agent strings: one gather
    # of the strings at the end instead of one per round.
    agent = df.get_column("agent")
    src = df.select(pl.when(pl.col("agent").is_not_null()).then(pl.col("_i"))).to_series()
    for _ in range(_MAX_JUMPS):
        pending = src.is_null() & anc.is_not_null()
        if not pending.any():
            break
        parent_src = src.gather(anc)
        parent_anc = anc.gather(anc)
        src = src.fill_null(parent_src)
        anc = pl.select(pl.when(src.is_null()).then(parent_anc).otherwise(None)).to_series()
    return df.with_columns(agent=agent.gather(src))


def _move_to_quarantine(report: LoadReport, late: pa.Table) -> None:
    """Spans quarantined by finalisation were counted as rows by their file: move them."""
    if late.num_rows == 0:
        return
    counts: Counter[tuple[str, str]] = Counter(zip(late.column("source_file").to_pylist(),
                                                   late.column("reason").to_pylist(), strict=True))
    by_path = {f.path: f for f in report.files}
    for (path, reason), n in counts.items():
        account = by_path[path]
        account.rows -= n
        account.quarantined += n
        account.reasons[reason] = account.reasons.get(reason, 0) + n


def read_paths(paths: Iterable[PathLike]) -> list[Path]:
    """The files ``paths`` expand to (for the CLI's listing)."""
    return [Path(p) for p, _ in expand_paths(list(paths))]
