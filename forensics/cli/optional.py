"""``forensics evaluate`` and ``forensics synth``: registered when their modules import (they are
written by other parts of the toolkit).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Final

import typer

from forensics.cli.app import EXIT_BAD_INPUT, EXIT_OK, _exit, app, out
from forensics.cli.messages import say_load_failures
from forensics.errors import (
    InputError,
)


def _add_optional_commands() -> None:
    for register in _OPTIONAL_COMMANDS:
        register()


def _register_evaluate() -> None:
    try:
        from forensics import evaluate as _evaluate_module  # noqa: F401
    except ImportError:
        return

    @app.command()
    def evaluate(
        results: Annotated[list[str], typer.Argument(help="A results directory (runs.parquet + findings.parquet from `classify --out`), or log files/directories to load and classify.")],
        labels: Annotated[Path | None, typer.Option("--labels", help="Labels file (JSON lines, LABEL_SCHEMA), e.g. sample_logs/labels.jsonl.")] = None,
        policy: Annotated[Path | None, typer.Option("--policy", help="Policy TOML file (when classifying logs).")] = None,
        format: Annotated[str | None, typer.Option("--format", "-f", help="Loader name (when loading logs); default: sniff.")] = None,
        blame: Annotated[bool, typer.Option("--blame", help="Instead of a labels file, compare each run's decisive span with the human-labeled mistake agent and step the logs carry (the Who&When benchmark, loaded by ag2-history).")] = False,
        show_all: Annotated[bool, typer.Option("--all", help="List every miss, false alarm and wrong decisive span (default: the first 50 of each).")] = False,
    ) -> None:
        """Compare classifier results with a labels file: precision, recall, F1 and MCC per class (and
        the mean MCC over the four mission classes), confusion, decisive-span accuracy, the false
        alarms on clean runs, misses and false alarms (or, with --blame, agent/step blame)."""
        _exit(_run_evaluate(results, labels, policy, format, blame, show_all))


def _results_dir(results: list[str]) -> Path | None:
    if len(results) == 1:
        d = Path(results[0])
        if d.is_dir() and (d / "runs.parquet").exists() and (d / "findings.parquet").exists():
            return d
    return None


def _run_evaluate(results: list[str], labels: Path | None, policy: Path | None, format: str | None,
                  blame: bool = False, show_all: bool = False) -> int:
    import pyarrow.parquet as pq

    from forensics.classify import Classification
    from forensics.classify import classify as classify_spans
    from forensics.evaluate import evaluate as evaluate_results
    from forensics.evaluate import evaluate_blame, read_labels
    from forensics.load import load as load_logs

    if (labels is None) == (not blame):
        raise InputError("give either --labels FILE or --blame",
                         hint="--labels compares with a labels file (sample_logs/labels.jsonl); --blame uses the "
                              "mistake agent/step that Who&When logs carry")
    stored = _results_dir(results)
    if blame:
        if stored is not None:
            raise InputError("--blame needs the logs, not a results directory",
                             hint="pass the log files, e.g. ../shared/datasets/who_and_when_dev/")
        loaded = load_logs(results, format=format)
        failures = say_load_failures(loaded.report, "evaluate")
        verdict = evaluate_blame(classify_spans(loaded.spans, policy=policy), loaded.spans)
        out.print(verdict.format_text(), markup=False)
        return EXIT_BAD_INPUT if failures else EXIT_OK
    if labels is None:  # unreachable after the check above; narrows the type without an assert
        raise InputError("--labels is required without --blame")
    expected = read_labels(labels)  # a bad labels file fails now, not after the logs are loaded
    problems = 0
    if stored is not None:
        runs = pq.read_table(stored / "runs.parquet")
        findings = pq.read_table(stored / "findings.parquet")
        versions = sorted(set(runs.column("policy_version").to_pylist()))
        result = Classification(findings=findings, runs=runs, policy_version=", ".join(versions))
    else:
        loaded = load_logs(results, format=format)
        problems = len(say_load_failures(loaded.report, "evaluate"))
        result = classify_spans(loaded.spans, policy=policy)
    outcome = evaluate_results(result, expected)
    out.print(outcome.format_text(max_items=None if show_all else 50), markup=False)
    return EXIT_BAD_INPUT if problems else EXIT_OK


def _register_synth() -> None:
    import importlib

    try:
        synth_cli = importlib.import_module("forensics.synth.cli")
    except ImportError:
        return
    sub = getattr(synth_cli, "app", None)
    if isinstance(sub, typer.Typer):
        app.add_typer(sub, name="synth", help="Generate labeled synthetic agent logs in any format.")
        return
    fn = getattr(synth_cli, "synth", None)
    if callable(fn):
        app.command(name="synth")(fn)


_OPTIONAL_COMMANDS: Final[tuple[Callable[[], None], ...]] = (_register_evaluate, _register_synth)
