"""A small builder for hand-written incident scenarios (the `sample_logs/` corpus).

A scenario reads as a story: open a run, enter an agent, call a model, call a tool, hand off, wait.
The builder keeps a clock (each step starts where the previous one ended, plus a small gap), a stack
of open agent spans (the parent of the next step), and deterministic ids derived from the scenario
name, so re-rendering the corpus gives byte-identical files.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Final

import orjson

from forensics.synth.model import Run, Span

#: The detectors the generator injects and the sample scenarios label, in the taxonomy's order (the
#: order the generator's plan indexes: changing it changes every generated file).
INJECTABLE_DETECTORS: Final = (
    "repeated_action",
    "redo_after_restart",
    "duplicate_side_effect",
    "context_overflow",
    "dangling_handoff",
    "unacknowledged_escalation",
    "orphan_failure",
    "limbo",
    "unhandled_error",
    "stall",
    "retry_storm",
    "ungated_low_confidence",
    "swallowed_error",
    "error_as_data",
    "claimed_but_not_done",
    "undelivered_output",
    "premature_success",
    "budget_exceeded",
    "delegation_depth",
    "fan_out",
    "unguarded_irreversible",
)


def _classes_from_the_registry() -> dict[str, str]:
    # Each detector's class is the one its registered class declares (TAXONOMY.md), never a copy.
    from forensics.detectors import get

    return {name: get(name).failure_class for name in INJECTABLE_DETECTORS}


#: Which class each injectable detector belongs to; labels derive their classes from this.
DETECTOR_CLASS: Final = _classes_from_the_registry()
CLASSES: Final = tuple(dict.fromkeys(DETECTOR_CLASS.values()))

#: USD per million tokens (input, output): list prices, used to fill cost where a format records it.
PRICES: Final = {
    "gpt-4o": (2.5, 10.0),
    "gpt-4o-mini": (0.15, 0.6),
    "gpt-4.1": (2.0, 8.0),
    "gpt-4.1-mini": (0.4, 1.6),
    "claude-sonnet-4-20250514": (3.0, 15.0),
    "claude-3-5-haiku-20241022": (0.8, 4.0),
}
PROVIDERS: Final = {"gpt": "openai", "claude": "anthropic"}


def cost_of(model: str, tokens_in: int, tokens_out: int) -> float:
    """List-price cost of one model call, rounded as billing exports round it (6 decimals)."""
    pin, pout = PRICES.get(model, (1.0, 4.0))
    return round((tokens_in * pin + tokens_out * pout) / 1e6, 6)


def _hex(seed: str, n: int) -> str:
    return hashlib.blake2b(seed.encode(), digest_size=n // 2).hexdigest()


def _j(v: Any) -> str:
    return v if isinstance(v, str) else orjson.dumps(v).decode()


class RunBuilder:
    """Builds one run step by step; times in seconds relative to the run's start."""

    def __init__(self, scenario: str, key: str, service: str, start: str, session: str | None, user: str | None):
        self.run = Run(
            run_id=_hex(f"{scenario}/{key}", 32), spans=[], service=service, session_id=session, user_id=user
        )
        self._seed = f"{scenario}/{key}"
        t = _dt.datetime.fromisoformat(start.replace("Z", "+00:00"))
        self.clock = int(t.timestamp()) * 1_000_000_000 + t.microsecond * 1000
        self._stack: list[Span] = []

    # --- plumbing -------------------------------------------------------------------------------
    def _new(self, name: str, kind: str, dur: float | None, gap: float, **kw: Any) -> Span:
        self.clock += int(gap * 1e9)
        parent = kw.pop("parent", None)
        if parent is None and self._stack:
            parent = self._stack[-1]
        agent = kw.pop("agent", None)
        if agent is None and parent is not None:
            agent = parent.agent
        sid = _hex(f"{self._seed}/{len(self.run.spans)}", 16)
        start = self.clock
        end = None if dur is None else start + int(dur * 1e9)
        s = Span(
            span_id=sid,
            name=name,
            kind=kind,
            start_ns=start,
            end_ns=end,
            parent_id=parent.span_id if parent is not None else None,
            agent=agent,
            **kw,
        )
        self.run.spans.append(s)
        if end is not None:
            self.clock = end
        return s

    def wait(self, seconds: float) -> None:
        """Nothing happens for `seconds` (a backoff, a human's reaction time, a hung call)."""
        self.clock += int(seconds * 1e9)

    # --- steps ----------------------------------------------------------------------------------
    @contextmanager
    def agent(
        self,
        name: str,
        input: str | None = None,
        output: str | None = None,
        status: str = "ok",
        ends: bool = True,
        parent: Span | None = None,
        gap: float = 0.01,
        error: tuple[str, str] | None = None,
        attrs: dict[str, Any] | None = None,
    ) -> Iterator[Span]:
        """An agent's span around the steps inside the block; `ends=False` leaves it open forever."""
        s = self._new(f"agent.{name}", "agent", 0.0, gap, agent=name, parent=parent, input=input, attrs=attrs)
        s.end_ns = None
        self._stack.append(s)
        try:
            yield s
        finally:
            self._stack.pop()
        if ends:
            self.clock += 8_000_000
            s.end_ns = self.clock
            if s.output is None:
                s.output = output
            s.status = status
            if error:
                s.error_type, s.error_message = error

    def llm(
        self,
        model: str,
        tokens_in: int,
        tokens_out: int,
        output: str | None,
        input: str | None = None,
        dur: float | None = 1.2,
        gap: float = 0.02,
        finish: str | None = "stop",
        status: str = "ok",
        error: tuple[str, str] | None = None,
        attrs: dict[str, Any] | None = None,
    ) -> Span:
        """A model call; cost from list prices, no output tokens when it failed."""
        provider = next((p for k, p in PROVIDERS.items() if model.startswith(k)), "openai")
        # A failed or never-answered call has no usage: providers report usage with the response.
        usage = status != "error" and dur is not None
        s = self._new(
            f"llm.{model}",
            "llm",
            dur,
            gap,
            model=model,
            provider=provider,
            input_tokens=tokens_in if usage else None,
            output_tokens=tokens_out if usage else None,
            cost_usd=cost_of(model, tokens_in, tokens_out) if usage else None,
            input=input,
            output=output,
            finish_reason=finish if status == "ok" else None,
            status=status,
            attrs=attrs,
        )
        if error:
            s.error_type, s.error_message = error
        return s

    def tool(
        self,
        name: str,
        args: Any,
        result: Any = None,
        dur: float | None = 0.3,
        gap: float = 0.02,
        status: str = "ok",
        error: tuple[str, str] | None = None,
        kind: str = "tool",
        attrs: dict[str, Any] | None = None,
    ) -> Span:
        """A tool call with JSON arguments; `error=(type, message)` marks it failed."""
        s = self._new(
            f"tool.{name}",
            kind,
            dur,
            gap,
            tool=name,
            input=_j(args),
            output=None if result is None else _j(result),
            status="error" if error else status,
            attrs=attrs,
        )
        if error:
            s.error_type, s.error_message = error
        return s

    def retrieve(self, name: str, query: str, docs: list[dict[str, Any]], dur: float = 0.25) -> Span:
        """A retriever call returning documents."""
        return self.tool(name, {"query": query, "top_k": max(len(docs), 3)}, docs, dur=dur, kind="retriever")

    def handoff(self, target: str, reason: str, dur: float = 0.02) -> Span:
        """A ``transfer_to_<target>`` tool call (how GenAI, OpenInference, LangSmith and Langfuse show it)."""
        s = self.tool(
            f"transfer_to_{target}",
            {"reason": reason},
            {"assistant": target},
            dur=dur,
            kind="handoff",
        )
        s.handoff_to = target
        return s

    def human(self, name: str, actor: str, output: Any, dur: float = 1.0, input: Any = None) -> Span:
        """A person acting in the run (approval, acknowledgement), recorded by the app as a step."""
        return self._new(
            name,
            "human",
            dur,
            0.01,
            agent=None,
            input=None if input is None else _j(input),
            output=_j(output),
            attrs={"enduser.id": actor},
        )

    def guardrail(self, name: str, args: Any, result: Any, dur: float = 0.05) -> Span:
        """A guardrail / policy check before an action."""
        return self._new(name, "guardrail", dur, 0.01, input=_j(args), output=_j(result))

    @contextmanager
    def chain(
        self, name: str, attrs: dict[str, Any] | None = None, status: str = "ok", error: tuple[str, str] | None = None
    ) -> Iterator[Span]:
        """A non-agent wrapper span (an HTTP request, a cron job) around the block."""
        s = self._new(name, "chain", 0.0, 0.0, agent=None, attrs=attrs)
        s.agent = None
        self._stack.append(s)
        try:
            yield s
        finally:
            self._stack.pop()
        self.clock += 4_000_000
        s.end_ns = self.clock
        s.status = "error" if error else status
        if error:
            s.error_type, s.error_message = error


@dataclass
class LabelSpec:
    run: RunBuilder
    detectors: list[str]
    decisive: Span | None
    story: str


@dataclass
class ScenarioBuilder:
    """Collects the runs and labels of one scenario file."""

    name: str
    service: str
    runs: list[RunBuilder] = field(default_factory=list)
    labels: list[LabelSpec] = field(default_factory=list)

    def run(self, key: str, start: str, session: str | None = None, user: str | None = None) -> RunBuilder:
        rb = RunBuilder(self.name, key, self.service, start, session, user)
        self.runs.append(rb)
        return rb

    def label(self, run: RunBuilder, detectors: list[str], decisive: Span | None, story: str) -> None:
        unknown = [d for d in detectors if d not in DETECTOR_CLASS]
        if unknown:
            raise ValueError(f"{self.name}: unknown detectors {unknown}; known: {sorted(DETECTOR_CLASS)}")
        if bool(detectors) != (decisive is not None):
            raise ValueError(f"{self.name}: a failing run needs a decisive span and a clean run none")
        self.labels.append(LabelSpec(run, detectors, decisive, story))


@dataclass(frozen=True)
class Scenario:
    """One file of the sample corpus: its name, format, system and what happened."""

    stem: str  # NN_short_name
    format: str
    system: str
    summary: str
    service: str
    build: Callable[[ScenarioBuilder], None]
