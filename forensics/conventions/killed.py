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


#: A failed call's error naming a killed process's exit status: 137 (128 + SIGKILL, as a shell
#: reports a command ended by signal 9: bash(1) EXIT STATUS) or -9 (Python's subprocess returncode
#: for a child terminated by signal 9). OpenHands records a command's exit code as the error
#: ``exit_code=137`` (loaders/openhands.py, from CmdOutputObservation ``metadata.exit_code``).
KILLED_EXIT: Final = r"(?i)\bexit(?:[ _]?code|[ _]status)\s*[=:]?\s*(?:137|-9)\b|\breturn_?code\s*[=:]\s*-9\b"
#: Shell words that set up where or how the line runs and do nothing of the work: a later line
#: sharing only these with a killed one runs another command.
_SETUP_WORDS: Final = frozenset({"cd", "pushd", "popd", "export", "source", ".", "set", "unset", "true", ":"})


def _shell_input() -> list[pl.Expr]:
    from forensics.conventions.registry import on_rows

    return [
        on_rows(
            pl.col("kind") == "tool",
            pl.col("input"),
            lambda e: pl.when(e.str.contains(r'\\?"(?:command|cmd)\\?"\s*:')).then(e),
        ).alias("_cv_killed_shell_input")
    ]


def _programs(text: str) -> list[str] | None:
    """The programs a shell tool call's command line runs (setup words left out), or None."""
    from forensics.conventions.command_words import _line, commands

    line = _line(text)
    if line is None:
        return None
    return sorted({cmd[0] for cmd in commands(line) if cmd and cmd[0] not in _SETUP_WORDS})


def _process_status(df: pl.DataFrame) -> pl.DataFrame:
    from forensics.conventions.registry import error_says, on_rows
    from forensics.detectors.returned_errors import (
        COMMAND_ERROR_OUTPUT,
        FAILED_COMMAND,
        KILLED_RUN,
        RUN_STREAMS,
    )

    out = pl.col("output")
    result = (pl.col("kind") == "tool") & ~pl.col("failed") & out.is_not_null()
    returned = on_rows(result, out, lambda e: e.str.contains(KILLED_RUN) & e.str.contains(RUN_STREAMS)).fill_null(False)
    # A command handed back with a non-zero exit and its error on stderr (returned_errors.FAILED_COMMAND):
    # only running it again makes it good, as for a killed one.
    exited = on_rows(
        result, out, lambda e: e.str.contains(FAILED_COMMAND) & e.str.contains(COMMAND_ERROR_OUTPUT)
    ).fill_null(False)
    df = df.with_columns(
        (pl.col("worker_killed") | (pl.col("failed") & error_says(KILLED_EXIT)) | returned).alias("process_killed"),
        exited.alias("command_failed"),
    )
    # The programs of the shell calls in runs where a shell call's process was killed or its command
    # failed (few runs): what its re-run must run again (handling: a retry of that command).
    shell = pl.col("_cv_killed_shell_input")
    runs = df.filter((pl.col("process_killed") | pl.col("command_failed")) & shell.is_not_null()).get_column("run_key").unique()
    held = df.filter(pl.col("run_key").is_in(runs.implode()) & shell.is_not_null()).get_column(
        "_cv_killed_shell_input"
    ).unique()
    if held.len() == 0:
        return df.with_columns(pl.lit(None, dtype=pl.List(pl.String)).alias("command_programs"))
    found = pl.DataFrame(
        {
            "_cv_killed_shell_input": held,
            "command_programs": pl.Series([_programs(text) for text in held.to_list()], dtype=pl.List(pl.String)),
        }
    )
    return df.join(found, on="_cv_killed_shell_input", how="left", maintain_order="left").with_columns(
        pl.when(pl.col("run_key").is_in(runs.implode())).then(pl.col("command_programs"))
    )


register(
    Convention(
        name="process_killed",
        signals=(
            Signal(
                "a command or sandbox process killed under the call: exit status 137 or -9 in the failed call's "
                'error (OpenHands `exit_code=137`), or an OK result with its output streams and `"exit_code": 137`, '
                '`"oom_killed": true`, `"reason": "OOMKilled"`, `"signal": "SIGKILL"` at its top level',
                "OpenHands (CmdOutputObservation metadata.exit_code), E2B, Docker, Kubernetes, subprocess-running tools",
                "bash(1) EXIT STATUS (128+n for fatal signal n); Python docs subprocess.Popen.returncode (-N: "
                "terminated by signal N); e2b-dev/E2B packages/python-sdk/e2b/sandbox/process/process_handle.py "
                "(ProcessResult stderr, stdout, exit_code, error); kubernetes/kubernetes "
                "docs/api-types/v1/ContainerStateTerminated.md (exitCode, signal, reason); Docker inspect State "
                "(OOMKilled, ExitCode); OpenHands openhands/events/observation/commands.py (CmdOutputMetadata exit_code)",
                "process_killed; command_programs (the programs a killed shell call's run must run again)",
            ),
            Signal(
                'a command handed back OK with a non-zero exit and its error on stderr (`{"returncode": 1, "stdout": ..., '
                '"stderr": "ERROR ... 403 Forbidden"}`)',
                "subprocess-running tools (DSPy, smolagents, CrewAI shell tools), E2B",
                "Python docs subprocess.run / CompletedProcess (returncode, stdout, stderr); "
                "e2b-dev/E2B packages/python-sdk/e2b/sandbox/process/process_handle.py (exit_code, stderr)",
                "command_failed; command_programs (a later call of the same shell tool running none of its programs "
                "is another command, not its re-run)",
            ),
        ),
        extract=_shell_input,
        status=_process_status,
        columns={
            "process_killed": "the call's process was killed under it (SIGKILL, an OOM kill, exit status 137/-9), "
            "failed or handed back as an OK result",
            "command_failed": "the call's command was handed back OK with a non-zero exit and an error on stderr",
            "command_programs": "in a run holding a killed or failed shell call, each shell call's programs (setup "
            "words such as cd left out), else null",
        },
    )
)
