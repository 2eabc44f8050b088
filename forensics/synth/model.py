"""The neutral in-memory span model the writers serialise.

A `Run` is one execution of a task; its `Span`s carry the facts every format can say (kind, owning
agent, tool, model, tokens, status, error, input and output text). Each writer in
`forensics.synth.writers` turns runs into the real shape of one format; nothing here is written to a
file as-is, and nothing here names a failure class (a detector must find failures from the shapes).
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Any, Final

#: Neutral span kinds (a subset of `forensics.schema.KINDS` that writers know how to express).
SPAN_KINDS: Final = ("agent", "llm", "tool", "retriever", "handoff", "human", "guardrail", "chain")


@dataclass(slots=True)
class Span:
    """One unit of work, format-neutral. Times are UTC ns since the epoch; `end_ns` None = never ended."""

    span_id: str  # 16 lowercase hex
    name: str
    kind: str
    start_ns: int
    end_ns: int | None
    parent_id: str | None = None
    status: str = "ok"  # ok | error | unset
    agent: str | None = None  # the owning agent; on agent spans the agent's own name
    tool: str | None = None
    handoff_to: str | None = None
    model: str | None = None
    provider: str | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    cost_usd: float | None = None
    input: str | None = None  # text (JSON text when structured)
    output: str | None = None
    error_type: str | None = None
    error_message: str | None = None
    finish_reason: str | None = None
    attrs: dict[str, Any] | None = None  # extra attributes the source would record (http status...)


@dataclass(slots=True)
class Run:
    """One execution of a task: a trace. `run_id` is 32 lowercase hex."""

    run_id: str
    spans: list[Span]
    service: str
    session_id: str | None = None
    user_id: str | None = None
    tags: list[str] = field(default_factory=list)

    @property
    def root(self) -> Span:
        """The first span without a parent (runs are written root first)."""
        for s in self.spans:
            if s.parent_id is None:
                return s
        raise ValueError(f"run {self.run_id} has no root span")


# --- time rendering: every writer formats times the way its source does ----------------------------

_DAY_NS: Final = 86_400 * 1_000_000_000
_day_cache: dict[int, str] = {}


def _day(ns: int) -> tuple[str, int]:
    """(``YYYY-MM-DD``, ns into that day), with the date string cached (hot in the generator)."""
    d, rem = divmod(ns, _DAY_NS)
    s = _day_cache.get(d)
    if s is None:
        s = (_dt.date(1970, 1, 1) + _dt.timedelta(days=d)).isoformat()
        _day_cache[d] = s
    return s, rem


def _clock(rem: int) -> tuple[int, int, int, int]:
    sec, sub = divmod(rem, 1_000_000_000)
    h, sec = divmod(sec, 3600)
    m, sec = divmod(sec, 60)
    return h, m, sec, sub


_minute_cache: dict[int, str] = {}


def _minute(minute: int) -> str:
    """``YYYY-MM-DDTHH:MM:`` of an epoch minute, cached: a run's spans share a few minutes."""
    text = _minute_cache.get(minute)
    if text is None:
        if len(_minute_cache) > 65_536:
            _minute_cache.clear()
        day, rem = _day(minute * 60_000_000_000)
        h, m, _, _ = _clock(rem)
        text = f"{day}T{h:02d}:{m:02d}:"
        _minute_cache[minute] = text
    return text


def iso_us_z(ns: int) -> str:
    """``2026-02-27T15:09:58.116327Z`` (OpenTelemetry Python SDK ``to_json``)."""
    sec, sub = divmod(ns, 1_000_000_000)
    minute, s = divmod(sec, 60)
    return f"{_minute(minute)}{s:02d}.{sub // 1000:06d}Z"


def iso_us_offset(ns: int) -> str:
    """``2024-10-11T20:58:23.298773+00:00`` (Python ``datetime.isoformat`` of an aware UTC time)."""
    sec, sub = divmod(ns, 1_000_000_000)
    minute, s = divmod(sec, 60)
    return f"{_minute(minute)}{s:02d}.{sub // 1000:06d}+00:00"


def iso_ms_z(ns: int) -> str:
    """``2025-09-30T09:03:59.962Z`` (Langfuse, JavaScript ``toISOString``)."""
    day, rem = _day(ns)
    h, m, s, sub = _clock(rem)
    return f"{day}T{h:02d}:{m:02d}:{s:02d}.{sub // 1_000_000:03d}Z"


def dotted_stamp(ns: int) -> str:
    """``20240429T004912090000Z``: the time part of a LangSmith ``dotted_order`` segment."""
    day, rem = _day(ns)
    h, m, s, sub = _clock(rem)
    return f"{day.replace('-', '')}T{h:02d}{m:02d}{s:02d}{sub // 1000:06d}Z"


def uuid_text(hex32: str) -> str:
    """32 hex digits as a dashed UUID (LangSmith run ids)."""
    return f"{hex32[:8]}-{hex32[8:12]}-{hex32[12:16]}-{hex32[16:20]}-{hex32[20:32]}"
