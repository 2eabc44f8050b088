"""What must hold when any bytes at all are loaded, whatever they are.

The fuzzer, the replay of kept crashes and developers share this one oracle. For an input file it
loads three times: with the loader named (``format=<loader>``), by sniffing, and with the loader
named under tight limits (:data:`TIGHT_LIMITS`, so the over-limit paths run too); and checks:

1. Nothing escapes but a :class:`~forensics.errors.ForensicsError`, and never an
   :class:`~forensics.errors.InternalError` (that is a loader bug, e.g. a crash the loader did not
   expect, or accounting that does not add up).
2. No loader's ``sniff`` crashes (the registry turns that into a warning and a score of 0; the
   oracle turns the warning back into a failure).
3. Accounting per file: ``records_read == rows + quarantined + merged``, the per-reason counts add
   up to ``quarantined``, and the tables agree with the report: as many span rows as ``rows``, as
   many quarantine rows as ``quarantined``, the same count per reason.
4. Both tables have exactly the published schema, no null in a column the schema declares
   non-nullable, ``kind`` and ``status`` within their vocabularies, every quarantine row a
   non-empty ``reason`` and ``detail``, ``attributes`` JSON object text.
5. Finalisation held: no two spans share ``(run_id, span_id)``, no span ends before it starts.
"""

from __future__ import annotations

import dataclasses
import traceback
import warnings
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.compute as pc

import forensics
from forensics.errors import ForensicsError, InternalError
from forensics.load import LoadResult
from forensics.loaders.base import DEFAULT_LIMITS, Limits
from forensics.schema import KINDS, QUARANTINE_SCHEMA, SPAN_SCHEMA, STATUSES


class OracleViolation(AssertionError):
    """The loader did something no input may make it do."""


@dataclass(frozen=True)
class Outcome:
    """How one load ended: a result, or the ForensicsError it raised (an allowed outcome)."""

    mode: str  # "given" or "sniffed"
    result: LoadResult | None
    error: ForensicsError | None


#: Limits small enough that fuzz inputs (a few KB) cross them: the over-limit paths (a line or a
#: document too long, a gzip inflating too far, too many attributes, a raw text cut, batches
#: flushed every few rows) must keep the same invariants. Built from the defaults, so a limit
#: added later keeps its default here.
TIGHT_LIMITS = dataclasses.replace(
    DEFAULT_LIMITS, max_line_bytes=2048, max_document_bytes=8192, max_decompressed_bytes=65536,
    max_raw_chars=256, max_attributes=32, batch_rows=3,
)


def check_file(path: Path, loader: str) -> list[Outcome]:
    """Load ``path`` as ``loader``, by sniffing, and as ``loader`` under :data:`TIGHT_LIMITS`;
    raise :class:`OracleViolation` on any breach."""
    return [_check_one(path, loader, "given"), _check_one(path, None, "sniffed"),
            _check_one(path, loader, "tight-limits", TIGHT_LIMITS)]


def _check_one(path: Path, fmt: str | None, mode: str, limits: Limits = DEFAULT_LIMITS) -> Outcome:
    where = f"{path} loaded {'as ' + fmt if fmt else 'by sniffing'}{' under tight limits' if limits is not DEFAULT_LIMITS else ''}"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = forensics.load(path, format=fmt, limits=limits)
        except InternalError as exc:
            raise OracleViolation(f"{where}: InternalError (a loader bug): {exc}{_origin(exc)}") from exc
        except ForensicsError as exc:
            _no_sniff_crash(caught, where)
            return Outcome(mode, None, exc)
        except Exception as exc:  # anything else escaping load() is a bug by definition
            raise OracleViolation(f"{where}: {type(exc).__name__} escaped load(): {exc}{_origin(exc)}") from exc
    _no_sniff_crash(caught, where)
    check_result(result, where)
    return Outcome(mode, result, None)


def _origin(exc: BaseException) -> str:
    # The loader's own traceback (load() wraps its crash in an InternalError): where to fix it.
    cause = exc.__cause__ or exc
    frames = traceback.format_exception(type(cause), cause, cause.__traceback__)
    return "\n--- where it happened ---\n" + "".join(frames[-12:])


def _no_sniff_crash(caught: list[warnings.WarningMessage], where: str) -> None:
    crashed = [str(w.message) for w in caught if "failed while sniffing" in str(w.message)]
    if crashed:
        raise OracleViolation(f"{where}: a loader's sniff crashed: {crashed[0]}")


def check_result(result: LoadResult, where: str) -> None:
    """The accounting, schema and finalisation invariants of one :class:`LoadResult`."""
    spans, quarantine, report = result.spans, result.quarantine, result.report
    _expect(spans.schema.equals(SPAN_SCHEMA), where, f"span table schema differs from SPAN_SCHEMA: {spans.schema}")
    _expect(quarantine.schema.equals(QUARANTINE_SCHEMA), where,
            f"quarantine schema differs from QUARANTINE_SCHEMA: {quarantine.schema}")
    for account in report.files:
        _expect(account.records_read == account.rows + account.quarantined + account.merged, where,
                f"{account.path}: records_read {account.records_read} != rows {account.rows} + quarantined "
                f"{account.quarantined} + merged {account.merged}")
        _expect(sum(account.reasons.values()) == account.quarantined, where,
                f"{account.path}: reasons {account.reasons} do not add up to quarantined {account.quarantined}")
        _expect(min(account.rows, account.quarantined, account.merged) >= 0, where, f"{account.path}: a negative count")
    _expect(spans.num_rows == report.rows, where, f"{spans.num_rows} span rows but the report says {report.rows}")
    _expect(quarantine.num_rows == report.quarantined, where,
            f"{quarantine.num_rows} quarantine rows but the report says {report.quarantined}")
    reported: Counter[str] = Counter()
    for account in report.files:
        reported.update(account.reasons)
    in_table = Counter(quarantine.column("reason").to_pylist())
    _expect(in_table == reported, where, f"quarantine reasons {dict(in_table)} != report reasons {dict(reported)}")
    for table, schema in ((spans, SPAN_SCHEMA), (quarantine, QUARANTINE_SCHEMA)):
        for field in schema:
            if not field.nullable:
                _expect(table.column(field.name).null_count == 0, where, f"nulls in non-nullable column `{field.name}`")
    if quarantine.num_rows:
        for column in ("reason", "detail"):
            shortest = pc.min(pc.utf8_length(quarantine.column(column))).as_py()
            _expect(shortest is not None and shortest > 0, where, f"a quarantine row has an empty `{column}`")
    if spans.num_rows == 0:
        return
    _in_vocabulary(spans, "kind", KINDS, where)
    _in_vocabulary(spans, "status", STATUSES, where)
    for text in spans.column("attributes").drop_null().to_pylist():
        try:
            value = orjson.loads(text)
        except orjson.JSONDecodeError as exc:
            raise OracleViolation(f"{where}: `attributes` is not JSON text ({exc}): {text[:200]!r}") from None
        _expect(isinstance(value, dict), where, f"`attributes` is JSON but not an object: {text[:200]!r}")
    keys = pa.Table.from_arrays([spans.column("run_id"), spans.column("span_id")], names=["r", "s"])
    distinct = keys.group_by(["r", "s"]).aggregate([]).num_rows
    _expect(distinct == spans.num_rows, where, f"{spans.num_rows - distinct} duplicate (run_id, span_id) left in the span table")
    both = pc.and_(pc.is_valid(spans.column("start_time")), pc.is_valid(spans.column("end_time")))
    backwards = pc.sum(pc.and_(both, pc.less(spans.column("end_time"), spans.column("start_time")))).as_py()
    _expect(not backwards, where, f"{backwards} span(s) end before they start")


def _in_vocabulary(spans: pa.Table, column: str, allowed: tuple[str, ...], where: str) -> None:
    outside = pc.unique(spans.column(column).filter(pc.invert(pc.is_in(spans.column(column), pa.array(allowed))))).to_pylist()
    _expect(not outside, where, f"`{column}` outside {allowed}: {outside[:5]}")


def _expect(condition: bool, where: str, message: str) -> None:
    if not condition:
        raise OracleViolation(f"{where}: {message}")
