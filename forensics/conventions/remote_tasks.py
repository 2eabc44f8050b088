"""A2A tasks in span results: which remote task a span sent or read, and the state it was in.

An A2A ``message/send`` answers with a ``Task`` (``{"kind": "task", "id", "contextId", "status":
{"state"}, "artifacts"}``; a2aproject/a2a-python ``src/a2a/types.py`` ``Task``, ``TaskStatus``), and so does
every ``tasks/get`` the client follows it with (``JsonRpcTransport.get_task``,
``src/a2a/client/transports/jsonrpc.py``); a delegation tool that wraps the client returns it as its
result. ``TaskState`` says who holds the task: ``submitted`` is queued on the remote server with
nobody on it yet; ``working``, ``input-required``, ``auth-required`` and ``completed`` say the remote
agent took it up; ``rejected``, ``canceled``, ``failed`` and ``unknown`` say neither. The A2A v1
protobuf JSON spells the state ``TASK_STATE_WORKING``: both spellings read as ``working``. What a
later read of a delegated task means for the handoff is the detectors' (``forensics/detectors/remote_tasks.py``).
"""

from __future__ import annotations

import polars as pl

from forensics.conventions.registry import Convention, Signal, on_rows, register


def _extract() -> list[pl.Expr]:
    out = pl.col("output")
    # Only outputs that can be a Task object are parsed (a literal scan first: most spans hold none).
    is_task = (
        out.str.contains('"task"', literal=True) & out.str.contains(r'(?s)^\s*\{.*"kind"\s*:\s*"task"')
    ).fill_null(False)

    def field(path: str) -> pl.Expr:
        return on_rows(is_task, out, lambda e: e.str.json_path_match(path))

    kind = field("$.kind")
    state = (
        field("$.status.state").str.to_lowercase().str.replace(r"^task_state_", "").str.replace_all("_", "-")
    )
    task = kind == "task"
    return [
        pl.when(task).then(field("$.id")).alias("_cv_remote_task_id"),
        pl.when(task).then(state).alias("_cv_remote_task_state"),
    ]


def _status(df: pl.DataFrame) -> pl.DataFrame:
    return df.with_columns(
        pl.col("_cv_remote_task_id").alias("remote_task_id"),
        pl.col("_cv_remote_task_state").alias("remote_task_state"),
    )


register(
    Convention(
        name="remote_tasks",
        signals=(
            Signal(
                'an A2A Task as a span\'s result: {"kind": "task", "id", "status": {"state"}} (a message/send '
                "answer, a tasks/get read, a delegation tool returning either); state submitted, working, "
                "input-required, auth-required, completed, rejected, canceled, failed (or TASK_STATE_<STATE>)",
                "A2A (a2a-python client; any tool wrapping it)",
                "a2aproject/a2a-python src/a2a/types.py (Task, TaskStatus, TaskState), "
                "src/a2a/client/transports/jsonrpc.py (send_message, get_task)",
                "remote_task_id, remote_task_state (lowercase, dashed)",
            ),
        ),
        extract=_extract,
        status=_status,
        columns={
            "remote_task_id": "the id of the A2A task a span's result is (message/send or tasks/get), else null",
            "remote_task_state": "that task's TaskState as the result reports it (submitted, working, completed ...)",
        },
    )
)
