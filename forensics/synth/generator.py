"""Generate labeled multi-agent traffic at any scale: ``generate(n_runs, out_path, ...)``.

Each run is one request to one of a handful of production-like agent systems (a support desk, a
travel booker, accounts payable, a coding team, a research desk): an orchestrator agent plans, hands
work to two to four sub-agents with ``transfer_to_<agent>`` calls, the sub-agents call models,
retrievers and tools, and the orchestrator delivers the result. About 30 spans per run.

A chosen share of runs has one failure injected *in its real shape* (a 429 swallowed and success
reported; the same ``crm.lookup`` five times; a ``transfer_to_billing`` that billing never picks up;
an escalation nobody acknowledges...). A share of the clean runs fail and recover properly (retry
with growing backoff, fallback model, acknowledged escalation, approved irreversible action) so
false alarms show. Nothing in the written logs names a failure: the labels go to a separate file,
``<out>.labels.jsonl``, in `forensics.schema.LABEL_SCHEMA`.

Deterministic by seed (byte-identical output, gzip included), streamed to disk in chunks (memory does
not grow with ``n_runs`` beyond one small int per run for the shuffled plan).
"""

from __future__ import annotations

import gc
import gzip
import os
import random
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Final

from forensics.errors import InputError
from forensics.synth.model import Run
from forensics.synth.runs import (
    _NS,
    INJECTABLE,
    RECOVERIES,
    _build,
    _Built,
)
from forensics.synth.scenario import CLASSES, DETECTOR_CLASS
from forensics.synth.systems import _DUMPS, SYSTEMS, acts
from forensics.synth.writers import WRITERS, get_writer

#: The default share of runs per failure class (the rest are clean, a fifth of those recovered).
DEFAULT_MIX: Final[Mapping[str, float]] = {c: 0.05 for c in CLASSES}
#: Share of clean runs that hit a failure and recover properly.
RECOVERED_SHARE: Final = 0.25
#: Where generated nights start (runs are spread over 24 hours from here).
EPOCH_START_NS: Final = 1_763_596_800 * _NS  # 2025-11-20T00:00:00Z


def parse_mix(mix: Mapping[str, float] | str | None) -> dict[str, float]:
    """``{class-or-detector: share}`` from a mapping or ``"silent_failure=0.1,stall=0.02"``."""
    if mix is None:
        return dict(DEFAULT_MIX)
    items: dict[str, float] = {}
    if isinstance(mix, str):
        for part in filter(None, (p.strip() for p in mix.split(","))):
            key, sep, val = part.partition("=")
            if not sep:
                raise InputError(f"mix entry `{part}` has no `=share`", hint="write e.g. silent_failure=0.1")
            try:
                items[key.strip()] = float(val)
            except ValueError:
                raise InputError(
                    f"mix entry `{part}` is not `name=share`",
                    hint="write e.g. --mix silent_failure=0.1,ownership_gap=0.05",
                ) from None
    else:
        items = {k: float(v) for k, v in mix.items()}
    valid = set(CLASSES) | set(INJECTABLE)
    for key, share in items.items():
        if key not in valid:
            raise InputError(
                f"unknown failure class or detector `{key}` in the mix",
                hint=f"classes: {', '.join(CLASSES)}; detectors: {', '.join(INJECTABLE)}.",
            )
        if not 0.0 <= share <= 1.0:
            raise InputError(f"share of `{key}` is {share}, expected between 0 and 1", hint="0.05 is 5% of runs.")
    if sum(items.values()) > 1.0 + 1e-9:
        raise InputError(f"the mix adds up to {sum(items.values()):.3f}, more than 1", hint="lower the shares.")
    return items


def _plan(n_runs: int, mix: dict[str, float], rng: random.Random) -> list[int]:
    """One code per run slot: -1 clean, else an index into INJECTABLE; a redo pair takes two runs."""
    slots: list[int] = []
    for key, share in mix.items():
        count = round(share * n_runs)
        if share > 0 and count == 0:
            count = 1  # every class asked for appears
        dets = [d for d in INJECTABLE if DETECTOR_CLASS[d] == key] if key in CLASSES else [key]
        slots.extend(INJECTABLE.index(dets[k % len(dets)]) for k in range(count))
    redo = INJECTABLE.index("redo_after_restart")
    runs_needed = sum(2 if s == redo else 1 for s in slots)
    slots.extend([-1] * max(0, n_runs - runs_needed))
    rng.shuffle(slots)
    return slots


def _label_repeated_side_effects(earlier: Run, redo: _Built) -> None:
    done = {(s.tool, s.input) for s in earlier.spans if s.kind == "tool" and s.status == "ok"}
    run, dets, decisive, story = redo.labels[0]
    again = [
        s for s in run.spans
        if s.kind == "tool" and s.status == "ok" and (s.tool, s.input) in done
        and acts(s.tool or "")
    ]
    if again:
        # Decisive: the first side effect done again (redo_after_restart and duplicate_side_effect
        # both point there: re-reading harmed nothing, the duplicate is the failure).
        redo.labels[0] = (run, [*dets, "duplicate_side_effect"], again[0],
                          f"{story} It repeated {again[0].tool} with the same arguments.")


#: Runs per chunk: each chunk has its own RNG (seeded from the seed and the chunk's index), so the
#: output is the same bytes however many worker processes write it.
CHUNK_RUNS: Final = 2000


@dataclass(frozen=True)
class _Chunk:
    index: int
    codes: tuple[int, ...]  # plan codes (see `_plan`)
    first_run: int  # how many runs come before this chunk (places its start times in the night)


def _chunks(n_runs: int, mix: dict[str, float], seed: int) -> list[_Chunk]:
    """The shuffled plan, cut at `n_runs` runs, in chunks of `CHUNK_RUNS` slots."""
    plan = _plan(n_runs, mix, random.Random(seed))
    redo = INJECTABLE.index("redo_after_restart")
    kept: list[int] = []
    starts: list[int] = []
    emitted = 0
    for code in plan:
        if emitted >= n_runs:
            break
        if code == redo and emitted + 1 >= n_runs:
            code = -1  # no room left for the pair: the last run is a clean one
        kept.append(code)
        starts.append(emitted)
        emitted += 2 if code == redo else 1
    return [
        _Chunk(i // CHUNK_RUNS, tuple(kept[i : i + CHUNK_RUNS]), starts[i])
        for i in range(0, len(kept), CHUNK_RUNS)
    ]


def _chunk_runs(chunk: _Chunk, n_runs: int, seed: int) -> Iterator[_Built]:
    rng = random.Random(seed * 1_000_003 + chunk.index)
    spacing = 86_400 * _NS // max(n_runs, 1)
    redo = INJECTABLE.index("redo_after_restart")
    emitted = chunk.first_run
    for code in chunk.codes:
        system = SYSTEMS[rng.randrange(len(SYSTEMS))]
        k = rng.randint(3, len(system.subs))
        subs = rng.sample(system.subs, k)
        n = rng.randrange(10_000, 99_999)
        start = EPOCH_START_NS + emitted * spacing + rng.randrange(0, max(spacing, 1))
        # A session per run (a redo shares its failed run's): sessions named after the random task
        # number collided at scale (450k names for a million runs), merging unrelated runs.
        session = f"{system.service}-{seed:x}-{emitted:08d}"
        if code == redo:
            first = _build(rng, system, "redo_fail", None, start, n, subs, session=session)
            second = _build(rng, system, "redo_after_restart", None, start + 900 * _NS, n, subs,
                            session=session, restart_of=first.runs[0])
            _label_repeated_side_effects(first.runs[0], second)
            yield first
            yield second
            emitted += 2
            continue
        inject = None if code < 0 else INJECTABLE[code]
        recovery = None
        if inject is None and rng.random() < RECOVERED_SHARE:
            recovery = RECOVERIES[rng.randrange(len(RECOVERIES))]
        yield _build(rng, system, inject, recovery, start, n, subs, session=session)
        emitted += 1


def _runs(n_runs: int, mix: dict[str, float], seed: int) -> Iterator[_Built]:
    """Every run of the plan, chunk after chunk (in-process; tests and tools use it)."""
    for chunk in _chunks(n_runs, mix, seed):
        yield from _chunk_runs(chunk, n_runs, seed)


def _render_chunk(task: tuple[_Chunk, int, int, str, str]) -> tuple[list[bytes], bytes]:
    """One chunk's output pieces (a run's lines, or one array record each) and its labels' bytes."""
    chunk, n_runs, seed, format, fname = task
    writer = WRITERS[format]
    lines = writer.container in ("lines", "otlp")
    gc_was_enabled = gc.isenabled()
    # Spans, runs and records hold no reference cycles: the cyclic collector only costs time here
    # (about a fifth of it, measured), so it is paused while building and restored after.
    gc.disable()
    try:
        out: list[bytes] = []
        lab: list[bytes] = []
        for built in _chunk_runs(chunk, n_runs, seed):
            for run in built.runs:
                if lines:
                    out.append(writer.run_lines(run))
                else:
                    out.extend(_DUMPS(rec) for rec in writer.records(run))
            for run, dets, decisive, story in built.labels:
                wanted = {DETECTOR_CLASS[d] for d in dets}
                lab.append(_DUMPS({
                    "run_id": writer.run_ref(run),
                    "scenario": f"synth:{run.service}",
                    "file": fname,
                    "expected_classes": [c for c in CLASSES if c in wanted],
                    "expected_detectors": dets,
                    "decisive_span_id": None if decisive is None else writer.span_ref(run, decisive),
                    "story": story,
                }) + b"\n")
        return out, b"".join(lab)
    finally:
        if gc_was_enabled:
            gc.enable()


def _open_out(path: Path) -> IO[bytes]:
    if path.name.endswith(".gz"):
        raw = open(path, "wb")
        # mtime=0 and no file name in the header: the same seed gives byte-identical gzip files.
        gz: IO[bytes] = gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=3, mtime=0)  # type: ignore[assignment]
        return gz
    return open(path, "wb", buffering=1 << 20)


def labels_path_for(out_path: str | os.PathLike[str]) -> Path:
    """Where `generate` writes the labels of `out_path`: ``<out>.labels.jsonl``."""
    return Path(f"{os.fspath(out_path)}.labels.jsonl")


def generate(
    n_runs: int,
    out_path: str | os.PathLike[str],
    format: str = "otel-sdk-json",
    mix: Mapping[str, float] | str | None = None,
    seed: int = 0,
    workers: int = 1,
) -> Path:
    """Write `n_runs` runs of labeled traffic to `out_path` (gzip when it ends in ``.gz``).

    `mix` maps failure classes (or single detectors) to the share of runs that get one injected;
    the default is 5% of each class. `workers` > 1 renders chunks in that many processes; the bytes
    are the same whatever it is. Returns the labels path (``<out>.labels.jsonl``).
    """
    if n_runs < 1:
        raise InputError(f"n_runs is {n_runs}, expected at least 1", hint="ask for 1 run or more.")
    if workers < 1:
        raise InputError(f"workers is {workers}, expected at least 1", hint="1 writes in this process.")
    writer = get_writer(format)
    shares = parse_mix(mix)
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    labels_path = labels_path_for(out)
    tasks = [(c, n_runs, seed, writer.name, out.name) for c in _chunks(n_runs, shares, seed)]
    array = writer.container not in ("lines", "otlp")
    with _open_out(out) as fh, open(labels_path, "wb") as lf:
        if array:
            fh.write(b"[\n")
        first = True
        for parts, labels in _rendered(tasks, workers):
            if array:
                for part in parts:
                    if not first:
                        fh.write(b",\n")
                    fh.write(part)
                    first = False
            else:
                fh.writelines(parts)  # no joined copy of the chunk
            lf.write(labels)
        if array:
            fh.write(b"\n]\n")
    return labels_path


def _rendered(tasks: list[tuple[_Chunk, int, int, str, str]], workers: int) -> Iterator[tuple[list[bytes], bytes]]:
    """Rendered chunks in order; with workers, at most two per worker in flight (memory stays flat)."""
    if workers == 1 or len(tasks) < 2:
        for task in tasks:
            yield _render_chunk(task)
        return
    from collections import deque
    from concurrent.futures import Future, ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=workers) as pool:
        pending: deque[Future[tuple[list[bytes], bytes]]] = deque()
        it = iter(tasks)
        for task in it:
            pending.append(pool.submit(_render_chunk, task))
            if len(pending) >= 2 * workers:
                break
        while pending:
            done = pending.popleft().result()
            nxt = next(it, None)
            if nxt is not None:
                pending.append(pool.submit(_render_chunk, nxt))
            yield done
