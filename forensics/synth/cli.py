"""``forensics synth``: the command that writes labeled synthetic traffic (registered by forensics.cli)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from forensics.synth.generator import generate
from forensics.synth.writers import WRITERS


def synth(
    n_runs: Annotated[int, typer.Argument(help="How many runs to write (about 30 spans each).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output file; gzip when it ends in .gz.")],
    format: Annotated[
        str, typer.Option("--format", "-f", help=f"Output format: {', '.join(sorted(WRITERS))}.")
    ] = "otel-sdk-json",
    mix: Annotated[
        str | None,
        typer.Option(
            "--mix",
            help="Share of runs per failure class or detector, e.g. silent_failure=0.1,stall=0.02 "
            "(default: 5% of each class).",
        ),
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Same seed, same bytes.")] = 0,
    workers: Annotated[
        int, typer.Option("--workers", help="Processes rendering chunks (the output bytes do not depend on it).")
    ] = 1,
) -> None:
    """Generate labeled multi-agent traffic with failures injected in their real shapes."""
    started = time.perf_counter()
    labels = generate(n_runs, out, format=format, mix=mix, seed=seed, workers=workers)
    seconds = time.perf_counter() - started
    typer.echo(f"wrote {n_runs} runs to {out} in {seconds:.1f} s; labels: {labels}")
