"""What every synthetic-log writer shares: the `Writer` (how one format is framed), the registry of
writers, export orders and the small JSON helpers. One module per format beside this one writes its
records and registers its `Writer`, mirroring ``forensics/loaders/``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Final

import orjson

from forensics.errors import InputError
from forensics.registry import Registry
from forensics.synth.model import Run, Span

_DUMPS = orjson.dumps


def _call_id(span: Span) -> str:
    # Tool-call ids as model providers write them ("call_" + 24 characters).
    return f"call_{span.span_id}{span.span_id[:8]}"


def _messages(role: str, text: str | None) -> str | None:
    # Equal to dumps([{"role": role, "content": text}]); only the content needs JSON escaping.
    if text is None:
        return None
    return f'[{{"role":"{role}","content":{_DUMPS(text).decode()}}}]'


# --- export order ----------------------------------------------------------------------------------

_NEVER: Final = 1 << 62


def ended_order(run: Run) -> list[Span]:
    """Spans in the order an OpenTelemetry SDK exports them: as each one ends (children before their
    parent, the root last), as in the real Monocle file; spans that never ended come last, as a
    shutdown flush writes them. Python's sort is stable, so equal end times keep start order."""
    return sorted(run.spans, key=lambda s: _NEVER if s.end_ns is None else s.end_ns)


def logged_order(run: Run) -> list[Span]:
    """Lines in the order an application logs them: a step's line when it finishes, and a step that
    never finished has only its "started" line, written when it started."""
    return sorted(run.spans, key=lambda s: s.start_ns if s.end_ns is None else s.end_ns)



# --- the registry ----------------------------------------------------------------------------------


def _hex_run(run: Run) -> str:
    return run.run_id


def _hex_span(run: Run, span: Span) -> str:
    return span.span_id


@dataclass(frozen=True)
class Writer:
    """How one format is written.

    ``container`` is ``lines`` (one JSON object per line), ``array`` (a JSON array of records; with
    ``single_record_as_object`` a file of one record is written as that object) or ``otlp`` (one
    ``document`` per file, one record per line when streamed).
    """

    name: str
    suffix: str
    container: str
    records: Callable[[Run], list[dict[str, Any]]]
    run_ref: Callable[[Run], str] = _hex_run
    span_ref: Callable[[Run, Span], str] = _hex_span
    #: Optional fast path for ``lines`` formats: the run's lines as bytes, equal to dumping `records`.
    lines: Callable[[Run], bytes] | None = None
    #: The whole file as one JSON document (``otlp``: one ExportTraceServiceRequest holding every run).
    document: Callable[[list[Run]], Any] | None = None
    single_record_as_object: bool = False

    def run_lines(self, run: Run) -> bytes:
        """One run as JSON lines (``lines`` and ``otlp`` containers)."""
        if self.lines is not None:
            return self.lines(run)
        return b"".join(_DUMPS(r) + b"\n" for r in self.records(run))

    def render_file(self, runs: list[Run]) -> bytes:
        """The whole file for `runs`, laid out for a person to read (sample corpus)."""
        if self.container == "lines":
            return b"".join(self.run_lines(run) for run in runs)
        if self.document is not None:
            return _DUMPS(self.document(runs), option=orjson.OPT_INDENT_2) + b"\n"
        recs = [r for run in runs for r in self.records(run)]
        doc: Any = recs[0] if len(recs) == 1 and self.single_record_as_object else recs
        return _DUMPS(doc, option=orjson.OPT_INDENT_2) + b"\n"

    def stream_chunks(self, runs: Iterable[Run]) -> Iterable[bytes]:
        """Byte chunks of a file holding `runs`, one run at a time (the generator's path)."""
        if self.container in ("lines", "otlp"):
            for run in runs:
                yield self.run_lines(run)
            return
        yield b"[\n"
        first = True
        for run in runs:
            parts = [_DUMPS(r) for r in self.records(run)]
            if parts:
                yield (b"" if first else b",\n") + b",\n".join(parts)
                first = False
        yield b"\n]\n"


def _import_builtin_writers() -> None:
    """Import every format module of this package: each registers its own `Writer`."""
    import pkgutil
    from importlib import import_module

    import forensics.synth.writers as package

    for m in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if m.name not in ("base", "genai"):
            import_module(f"forensics.synth.writers.{m.name}")


#: Every writer by format name: the modules of this package, plus the entry-point group
#: ``forensics.synth_writers`` (a plugin's format) and run-time registrations.
WRITERS: Registry[Writer] = Registry("writer", "forensics.synth_writers", builtins=_import_builtin_writers)


def get_writer(name: str) -> Writer:
    """The writer registered as `name`; a clear error naming the valid formats otherwise."""
    if name in WRITERS:
        return WRITERS.get(name)
    raise InputError(
        f"no writer for format `{name}`",
        hint=f"use one of: {', '.join(WRITERS.names())}.",
    )
