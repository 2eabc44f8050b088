"""Batches and claims: a batch row committed as ``running``, then ONE transaction that claims the
inputs (unique content hash + policy version + classifier version), deletes a forced rerun's earlier
rows and those an older classifier stored, inserts the results in bulk and closes the batch.
"""

from __future__ import annotations

import os
import socket
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import polars as pl
import pyarrow as pa
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from forensics.errors import InternalError, StoreError
from forensics.hints import counted_findings
from forensics.store.bulk import (
    _attach_inputs,
    _bulk_insert,
    _db_frame,
    _findings_with_inputs,
)
from forensics.store.connection import Store, _now
from forensics.store.schema import (
    _FINDING_COLUMNS,
    _RUN_COLUMNS,
    BATCH_STATUSES,
    batch_inputs,
    batches,
    findings,
    runs,
)


def _toolkit_version() -> str:
    from forensics import __version__

    return __version__


def _classifier_version() -> str:
    from forensics.classifier_version import classifier_version

    return classifier_version()


@dataclass(frozen=True)
class InputFile:
    """One input of a batch: where it is, what it holds, and what reading it gave."""

    path: str
    sha256: str
    size_bytes: int | None = None
    format: str | None = None
    #: ``stored`` | ``skipped`` (already stored) | ``claimed-elsewhere`` | ``failed`` | ``pending``
    status: str = "pending"
    counts: Mapping[str, int] = field(default_factory=dict)
    #: Other files its spans name as where they were first read (a saved span table's): its runs'
    #: ``source_file`` may be one of these.
    sources: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "sha256": self.sha256,
            "size_bytes": self.size_bytes,
            "format": self.format,
            "status": self.status,
            "counts": dict(self.counts),
        }


@dataclass(frozen=True)
class Problem:
    """Something wrong with one input: the file, a stable reason code and the full message.

    ``level`` is ``error`` when the file contributed nothing (it could not be read at all) and
    ``warning`` when some of its records were quarantined but the rest were stored.
    """

    file: str
    reason: str
    detail: str
    level: str = "error"

    def as_json(self) -> dict[str, str]:
        return {"file": self.file, "reason": self.reason, "detail": self.detail, "level": self.level}


@dataclass
class BatchHandle:
    """A batch row committed as ``running``; pass it to :func:`write_batch` or :func:`fail_batch`."""

    store: Store
    id: int
    policy_version: str
    force: bool
    #: The classifier writing this batch (forensics.classifier_version): part of every claim's key.
    classifier_version: str = field(default_factory=_classifier_version)
    _last_beat: float = field(default_factory=time.monotonic)

    def heartbeat(self, min_interval: float = 30.0) -> None:
        """Tell other processes this batch's owner is alive (call between files; writes at most
        every ``min_interval`` seconds, so it rarely queues behind another job's write)."""
        if time.monotonic() - self._last_beat < min_interval:
            return
        self._last_beat = time.monotonic()
        with self.store.write() as conn:
            conn.execute(
                batches.update().where(batches.c.id == self.id).values(heartbeat_at=_now())
            )


def start_batch(
    store: Store,
    *,
    policy_version: str,
    inputs: Sequence[InputFile] = (),
    force: bool = False,
    command: str | None = None,
    classifier_version: str | None = None,
) -> BatchHandle:
    """Commit a new batch row in status ``running`` (its own transaction) and return its handle.

    ``classifier_version``: who classifies (default: this install's
    :func:`~forensics.classifier_version.classifier_version`)."""
    now = _now()
    version = classifier_version or _classifier_version()
    with store.write() as conn:
        batch_id = conn.execute(
            batches.insert()
            .values(
                started_at=now,
                heartbeat_at=now,
                status="running",
                policy_version=policy_version,
                toolkit_version=_toolkit_version(),
                classifier_version=version,
                forced=force,
                pid=os.getpid(),
                hostname=socket.gethostname(),
                command=command if command is not None else " ".join(sys.argv),
                inputs=[i.as_json() for i in inputs],
                counts={},
                problems=[],
            )
            .returning(batches.c.id)
        ).scalar_one()
    return BatchHandle(store=store, id=int(batch_id), policy_version=policy_version, force=force,
                       classifier_version=version)


def stored_hashes(store: Store, hashes: Iterable[str], policy_version: str,
                  classifier_version: str | None = None) -> dict[str, int]:
    """``{sha256: batch_id}`` for the given content hashes already stored under this policy by this
    classifier (default: this install's version); what an older classifier stored is not."""
    version = classifier_version or _classifier_version()
    return {sha: batch_id for sha, batch_id, by in _claims(store, hashes, policy_version) if by == version}


def stored_by_other_classifiers(store: Store, hashes: Iterable[str], policy_version: str,
                                classifier_version: str | None = None) -> dict[str, str]:
    """``{sha256: version}`` for the given content hashes stored under this policy by another
    classifier version only (``unrecorded``: stored before versions were recorded): a rerun by this
    classifier reclassifies them and replaces those rows."""
    version = classifier_version or _classifier_version()
    claims = _claims(store, hashes, policy_version)
    current = {sha for sha, _, v in claims if v == version}
    return {sha: v for sha, _, v in sorted(claims, key=lambda c: c[1]) if sha not in current}


def _claims(store: Store, hashes: Iterable[str], policy_version: str) -> list[tuple[str, int, str]]:
    """``(sha256, batch_id, classifier_version)`` of every claim of these hashes under this policy."""
    wanted = sorted(set(hashes))
    out: list[tuple[str, int, str]] = []
    if not wanted:
        return out
    c = batch_inputs.c
    with store.engine.connect() as conn:
        for chunk in _chunks(wanted, 500):
            rows = conn.execute(sa.select(c.sha256, c.batch_id, c.classifier_version).where(
                c.sha256.in_(chunk), c.policy_version == policy_version))
            out.extend((r.sha256, int(r.batch_id), r.classifier_version) for r in rows)
    return out


def _nothing_before_commit() -> None:
    """Production: nothing happens between the last insert and the commit."""


#: Called inside :func:`write_batch`'s transaction after every row is inserted, just before the
#: commit. A seam, not a setting: production leaves it a no-op; the crash and concurrency tests
#: replace it (``forensics.store.batch_writes.before_commit = ...``, see ``tests/write_pause.py``)
#: to kill a writer or race a second one at the worst moment.
before_commit: Callable[[], None] = _nothing_before_commit


@dataclass(frozen=True)
class WriteResult:
    """What one :func:`write_batch` stored."""

    batch_id: int
    status: str
    stored_inputs: tuple[str, ...]
    #: Inputs another batch claimed first (a concurrent job); nothing of theirs was stored here.
    claimed_elsewhere: tuple[str, ...]
    runs: int
    findings: int
    #: Rows of earlier batches deleted by a forced rerun or because another classifier stored them.
    replaced_runs: int = 0
    replaced_findings: int = 0
    #: Inputs whose rows another classifier version had stored (replaced here, not skipped).
    reclassified_inputs: int = 0


def write_batch(
    batch: BatchHandle,
    *,
    runs_table: pa.Table,
    findings_table: pa.Table,
    inputs: Sequence[InputFile],
    problems: Sequence[Problem] = (),
    counts: Mapping[str, Any] | None = None,
) -> WriteResult:
    """Store one batch's results atomically and flip the batch to ``succeeded``.

    ``runs_table`` (RUN_SCHEMA) and ``findings_table`` (FINDING_SCHEMA) hold the results of the
    ``inputs`` whose status is ``pending``; each run is attributed to the input holding its
    ``source_file``, each finding to its run's input. In one transaction: delete the earlier rows
    of forced inputs and those another classifier version stored (the claim key includes the
    version, so an upgraded classifier replaces them instead of skipping), claim the inputs (unique
    content hash + policy version + classifier version), drop results of inputs claimed by someone
    else, insert runs and findings in bulk, record the batch. On any error the transaction rolls
    back (the older rows stay, whole), the batch is marked ``failed`` and the error re-raised.
    """
    store = batch.store
    try:
        pending = [i for i in inputs if i.status == "pending"]
        runs_df = _attach_inputs(runs_table, pending)
        findings_df = _findings_with_inputs(findings_table, runs_df)
        with store.write() as conn:
            replaced_runs = replaced_findings = reclassified = 0
            hashes = sorted({i.sha256 for i in pending})
            if batch.force and hashes:
                replaced_runs, replaced_findings, _ = _delete_inputs(conn, hashes, batch.policy_version)
            elif hashes:
                replaced_runs, replaced_findings, reclassified = _delete_inputs(
                    conn, hashes, batch.policy_version, other_than=batch.classifier_version)
            claimed = _claim(conn, batch, pending)
            runs_df = runs_df.filter(pl.col("input_sha256").is_in(sorted(claimed)))
            findings_df = findings_df.filter(pl.col("input_sha256").is_in(sorted(claimed)))
            _bulk_insert(conn, runs, _db_frame(runs_df, batch.id, _RUN_COLUMNS, batch.classifier_version))
            _bulk_insert(conn, findings, _db_frame(findings_df, batch.id, _FINDING_COLUMNS, batch.classifier_version))
            final_inputs = [_final_input(i, claimed) for i in inputs]
            stored = tuple(i.path for i in final_inputs if i.status == "stored")
            elsewhere = tuple(i.path for i in final_inputs if i.status == "claimed-elsewhere")
            all_counts = {
                "inputs": len(inputs),
                "stored_inputs": len(stored),
                "skipped_inputs": sum(i.status in ("skipped", "claimed-elsewhere") for i in final_inputs),
                "failed_inputs": sum(i.status == "failed" for i in final_inputs),
                "runs": runs_df.height,
                "findings": findings_df.height,
                "replaced_runs": replaced_runs,
                "replaced_findings": replaced_findings,
                "reclassified_inputs": reclassified,
                "findings_by_class": _class_counts(findings_df),
                **(dict(counts) if counts else {}),
            }
            status = _final_status(final_inputs)
            _close_batch(conn, batch, status=status, inputs=final_inputs, counts=all_counts, problems=problems,
                         error=_all_failed_message(final_inputs) if status == "failed" else None)
            before_commit()
    except BaseException as exc:
        # BaseException: a KeyboardInterrupt mid-write must also leave the batch marked failed.
        fail_batch(batch, exc, inputs=inputs, problems=problems)
        if _is_database_error(exc):
            raise StoreError(
                f"writing batch {batch.id} failed and was rolled back: {exc}",
                hint="the batch is marked failed and nothing of it was stored; fix the cause and rerun.",
            ) from exc
        raise
    return WriteResult(
        batch_id=batch.id,
        status=status,
        stored_inputs=stored,
        claimed_elsewhere=elsewhere,
        runs=runs_df.height,
        findings=findings_df.height,
        replaced_runs=replaced_runs,
        replaced_findings=replaced_findings,
        reclassified_inputs=reclassified,
    )


def _is_database_error(exc: BaseException) -> bool:
    if isinstance(exc, sa.exc.SQLAlchemyError):
        return True
    import sqlite3

    if isinstance(exc, sqlite3.Error):
        return True
    psycopg = sys.modules.get("psycopg")
    return psycopg is not None and isinstance(exc, psycopg.Error)


def finish_batch(
    batch: BatchHandle,
    *,
    status: str,
    inputs: Sequence[InputFile],
    problems: Sequence[Problem] = (),
    counts: Mapping[str, Any] | None = None,
    error: str | None = None,
) -> None:
    """Close a batch that stores no rows (every input skipped, or none could be read)."""
    if status not in BATCH_STATUSES or status == "running":
        raise InternalError(f"finish_batch: status must be succeeded, failed or skipped, not {status!r}")
    with batch.store.write() as conn:
        _close_batch(conn, batch, status=status, inputs=inputs, counts=dict(counts or {}), problems=problems,
                     error=error)


def _close_batch(conn: Connection, batch: BatchHandle, *, status: str, inputs: Sequence[InputFile],
                 counts: Mapping[str, Any], problems: Sequence[Problem], error: str | None) -> None:
    """The batch row's final state: status, finish time, inputs, counts, problems, error."""
    conn.execute(
        batches.update()
        .where(batches.c.id == batch.id)
        .values(
            status=status,
            finished_at=_now(),
            heartbeat_at=_now(),
            inputs=[i.as_json() for i in inputs],
            counts=dict(counts),
            problems=[p.as_json() for p in problems],
            error=error,
        )
    )


def fail_batch(
    batch: BatchHandle,
    error: BaseException | str,
    *,
    inputs: Sequence[InputFile] | None = None,
    problems: Sequence[Problem] = (),
) -> None:
    """Mark a batch ``failed`` with the error (in a fresh transaction; its rows were rolled back)."""
    text = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
    values: dict[str, Any] = {
        "status": "failed",
        "finished_at": _now(),
        "error": text,
        "problems": [p.as_json() for p in problems],
    }
    if inputs is not None:
        values["inputs"] = [i.as_json() for i in inputs]
    with batch.store.write() as conn:
        conn.execute(
            batches.update()
            .where(batches.c.id == batch.id, batches.c.status == "running")
            .values(**values)
        )


def _final_input(i: InputFile, claimed: set[str]) -> InputFile:
    if i.status != "pending":
        return i
    from dataclasses import replace

    return replace(i, status="stored" if i.sha256 in claimed else "claimed-elsewhere")


def _final_status(final_inputs: Sequence[InputFile]) -> str:
    statuses = {i.status for i in final_inputs}
    if "stored" in statuses:
        return "succeeded"
    if statuses & {"skipped", "claimed-elsewhere"}:
        return "skipped"
    return "failed"


def _all_failed_message(final_inputs: Sequence[InputFile]) -> str:
    failed = [i.path for i in final_inputs if i.status == "failed"]
    return f"no input could be read ({len(failed)} failed); see problems"


def _class_counts(findings_df: pl.DataFrame) -> dict[str, int]:
    # Hints are stored with the findings (a reviewer reads them) but set no class: not counted.
    findings_df = counted_findings(findings_df)
    if findings_df.is_empty():
        return {}
    counted = findings_df.group_by("failure_class").len().sort("failure_class")
    return dict(zip(counted["failure_class"].to_list(), counted["len"].to_list(), strict=True))


def _claim(conn: Connection, batch: BatchHandle, pending: Sequence[InputFile]) -> set[str]:
    """Insert claim rows; return the hashes this batch won (others already hold the rest)."""
    if not pending:
        return set()
    now = _now()
    seen: dict[str, InputFile] = {}
    for i in pending:
        seen.setdefault(i.sha256, i)
    rows = [
        {
            "batch_id": batch.id,
            "sha256": i.sha256,
            "policy_version": batch.policy_version,
            "classifier_version": batch.classifier_version,
            "path": i.path,
            "format": i.format,
            "size_bytes": i.size_bytes,
            "claimed_at": now,
        }
        for i in seen.values()
    ]
    insert = _INSERT_IGNORING_CONFLICTS.get(conn.dialect.name)
    if insert is None:
        # Generic fallback: a conflicting insert raises IntegrityError and the batch fails: safe,
        # never double counted, just not as graceful.
        conn.execute(batch_inputs.insert(), rows)
        return set(seen)
    result = conn.execute(
        insert(batch_inputs)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["sha256", "policy_version", "classifier_version"])
        .returning(batch_inputs.c.sha256)
    )
    return {r[0] for r in result}


def _pg_insert(table: sa.Table) -> Any:
    from sqlalchemy.dialects.postgresql import insert

    return insert(table)


def _sqlite_insert(table: sa.Table) -> Any:
    from sqlalchemy.dialects.sqlite import insert

    return insert(table)


_INSERT_IGNORING_CONFLICTS: Final[dict[str, Callable[[sa.Table], Any]]] = {
    "postgresql": _pg_insert,
    "sqlite": _sqlite_insert,
}


def _delete_inputs(conn: Connection, hashes: Sequence[str], policy_version: str,
                   other_than: str | None = None) -> tuple[int, int, int]:
    """Delete the earlier rows of these inputs under this policy: every one (a forced rerun), or
    with ``other_than`` those another classifier version stored (an upgrade reclassifies). Returns
    runs, findings and claims deleted.

    Only rows of another version go, never this version's: a concurrent job of the same version
    that committed first keeps what it stored (and this one's claim then loses)."""
    deleted = {"findings": 0, "runs": 0, "claims": 0}
    for chunk in _chunks(list(hashes), 500):
        for name, table, key in (("findings", findings, findings.c.input_sha256), ("runs", runs, runs.c.input_sha256),
                                 ("claims", batch_inputs, batch_inputs.c.sha256)):
            where = [key.in_(chunk), table.c.policy_version == policy_version]
            if other_than is not None:
                version = table.c.classifier_version
                where.append(sa.or_(version.is_(None), version != other_than))
            deleted[name] += conn.execute(table.delete().where(*where)).rowcount
    return deleted["runs"], deleted["findings"], deleted["claims"]



def _chunks(items: list[str], n: int) -> Iterable[list[str]]:
    for start in range(0, len(items), n):
        yield items[start : start + n]
