"""Progress bars on stderr (only when it is a terminal, or asked for).
"""

from __future__ import annotations

from typing import Any, Final

from forensics.cli.app import err


class ProgressBars:
    """A ``progress(stage, done, total, path)`` callback drawing rich bars on stderr."""

    LABELS: Final = {"hash": "hashing", "load": "loading", "classify": "classifying", "store": "storing",
                     "write": "writing Parquet"}

    def __init__(self) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.progress = Progress(
            TextColumn("{task.description:<16}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            TextColumn("{task.fields[path]}", style="dim"), console=err, transient=False,
        )
        self.tasks: dict[str, Any] = {}

    def __call__(self, stage: str, done: int, total: int, path: str | None) -> None:
        task = self.tasks.get(stage)
        if task is None:
            task = self.progress.add_task(self.LABELS.get(stage, stage), total=total, path="")
            self.tasks[stage] = task
        self.progress.update(task, completed=done, total=total, path=_short(path or ""))

    def __enter__(self) -> ProgressBars:
        self.progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        for task in self.progress.tasks:
            if exc[0] is None and task.total is not None:
                self.progress.update(task.id, completed=task.total, path="")
        self.progress.stop()


def _short(path: str, width: int = 50) -> str:
    return path if len(path) <= width else "…" + path[-(width - 1):]


def _progress_enabled(flag: bool | None) -> bool:
    return err.is_terminal if flag is None else flag
