"""A call that ended because its worker process was killed: the call did not fail, its process died.

Celery marks a task whose worker process exited under it with ``WorkerLostError('Worker exited
prematurely: signal 9 (SIGKILL) Job: ...')`` (celery/worker/request.py ``Request.on_failure``); a
Kubernetes container killed for memory ends ``OOMKilled``. Nothing in the killed process could retry
or fall back (a killed process runs no handler): picking the work up again is the job system's
(Celery's ``acks_late`` with ``task_reject_on_worker_lost`` redelivers the task), a later run of the
same session.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.conventions.registry import Convention, Signal, register

#: The error of a process killed under the call (Celery's WorkerLostError; SIGKILL; an OOM kill).
KILLED: Final = r"\bWorkerLostError\b|\bsignal 9\b|\bSIGKILL\b|\bOOMKilled\b"


def _status(df: pl.DataFrame) -> pl.DataFrame:
    text = pl.coalesce(pl.col("error_message"), pl.lit("")) + " " + pl.coalesce(pl.col("error_type"), pl.lit(""))
    return df.with_columns((pl.col("failed") & text.str.contains(KILLED)).fill_null(False).alias("worker_killed"))


register(
    Convention(
        name="worker_killed",
        signals=(
            Signal(
                "WorkerLostError: Worker exited prematurely: signal 9 (SIGKILL); OOMKilled",
                "Celery workers; Kubernetes",
                "celery/worker/request.py (Request.on_failure: WorkerLostError); Celery docs task_reject_on_worker_lost; Kubernetes docs (container state terminated, reason OOMKilled)",
                "worker_killed",
            ),
        ),
        status=_status,
        columns={"worker_killed": "the call ended because the process running it was killed (it did not fail on its own)"},
    )
)
