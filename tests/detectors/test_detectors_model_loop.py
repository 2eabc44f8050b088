"""model_call_cycle (runaway_cost): model calls going round a writer/critic cycle that nothing caps.

The runs are Langfuse trace exports (``{"trace": ..., "observations": [...]}``, camelCase, as the UI
export writes them; ``../shared/formats/langfuse/``): one AGENT observation holding GENERATION
observations (a writer and a critic call, each with its own ``usageDetails``/``totalCost``), and
TOOL observations where the agent did work between model calls. Langfuse SDK v3 sends them as OTel
spans (langfuse-python ``langfuse/_client/span.py``), a GENERATION per model call.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl

from forensics.classify import classify
from forensics.load import load

T0 = datetime(2026, 11, 21, 18, 0, tzinfo=UTC)
WRITER_PROMPT = [{"role": "user", "content": "Improve the subject line."}]


def _iso(s: float) -> str:
    return (T0 + timedelta(seconds=s)).isoformat().replace("+00:00", "Z")


def _obs(oid: str, parent: str | None, kind: str, name: str, start: float, end: float, **kw: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": oid, "traceId": "ab" * 16, "parentObservationId": parent, "type": kind, "name": name,
        "startTime": _iso(start), "endTime": _iso(end), "level": "DEFAULT", "statusMessage": None,
        "input": None, "output": None, "model": None, "usageDetails": {}, "costDetails": {}, "totalCost": 0,
    }
    return base | kw


def _generation(oid: str, parent: str, name: str, start: float, prompt: Any, answer: str, tokens: int) -> dict[str, Any]:
    cost = round(tokens * 15e-6, 6)
    return _obs(oid, parent, "GENERATION", name, start, start + 5, input=prompt,
                output={"role": "assistant", "content": answer}, model="claude-opus-4-20250514",
                usageDetails={"input": tokens, "output": 150, "total": tokens + 150},
                costDetails={"total": cost}, totalCost=cost)


def _trace(path: Path, steps: list[dict[str, Any]], answer: str = "done") -> Path:
    """Write the export: a trace whose AGENT observation ``agent`` holds ``steps`` in order."""
    agent = _obs("ag" + "0" * 14, None, "AGENT", "headline_studio", 0, 10_000, input="Write the subject line.", output=answer)
    doc = {
        "trace": {"id": "ab" * 16, "name": "newsletter", "timestamp": _iso(0), "input": "Write the subject line.",
                  "output": answer, "sessionId": None, "userId": "editor", "metadata": "{}"},
        "observations": [agent, *steps],
    }
    path.write_text(json.dumps(doc))
    return path


def _writer_critic(rounds: int, approve_last: bool = False, tool_between: bool = False) -> list[dict[str, Any]]:
    steps, t = [], 1.0
    for r in range(rounds):
        steps.append(_generation(f"w{r:015d}", "ag" + "0" * 14, "writer", t, WRITER_PROMPT, f"Night buses: take {r + 1}", 5000 + 800 * r))
        t += 6
        verdict = "approve" if approve_last and r == rounds - 1 else "revise"
        steps.append(_generation(f"c{r:015d}", "ag" + "0" * 14, "critic", t, None,
                                 json.dumps({"score": 9 if verdict == "approve" else 6, "verdict": verdict}), 5400 + 800 * r))
        t += 6
        if tool_between:
            steps.append(_obs(f"t{r:015d}", "ag" + "0" * 14, "TOOL", "web_search", t, t + 1,
                              input={"query": f"night bus route N{r}"}, output={"results": [f"route N{r} runs hourly"]}))
            t += 2
    return steps


def _found(path: Path) -> pl.DataFrame:
    c = classify(load(path).spans)
    return pl.from_arrow(c.findings).filter(pl.col("detector") == "model_call_cycle")


def test_a_writer_critic_loop_past_the_default_caps_is_a_runaway(tmp_path: Path) -> None:
    f = _found(_trace(tmp_path / "loop.json", _writer_critic(14)))
    assert f.height == 1
    row = f.row(0, named=True)
    assert row["failure_class"] == "runaway_cost"
    # The critic's first verdict closed the first round and sent it round again.
    assert row["decisive_span_id"] == "c" + "0" * 15
    assert len(row["evidence_span_ids"]) == 28
    assert "14 rounds (28 calls" in row["explanation"]


def test_three_rounds_that_end_when_the_critic_approves_are_ordinary(tmp_path: Path) -> None:
    assert _found(_trace(tmp_path / "review.json", _writer_critic(3, approve_last=True))).height == 0


def test_the_cap_itself_is_not_a_runaway(tmp_path: Path) -> None:
    # Ten rounds: exactly what a framework's default cap (Agents SDK max_turns 10) lets through.
    assert _found(_trace(tmp_path / "ten.json", _writer_critic(10))).height == 0


def test_model_calls_separated_by_tool_work_are_not_a_cycle(tmp_path: Path) -> None:
    # A long research run: the same two prompts, but each round searched the web in between.
    assert _found(_trace(tmp_path / "research.json", _writer_critic(16, tool_between=True))).height == 0


def test_calls_that_all_look_alike_are_not_two_calls_taking_turns(tmp_path: Path) -> None:
    # Instrumentation without captured content: every call the same model, the same agent, no input.
    steps = [_generation(f"g{i:015d}", "ag" + "0" * 14, "chat", 1.0 + 6 * i, None, f"part {i}", 4000) for i in range(30)]
    assert _found(_trace(tmp_path / "alike.json", steps)).height == 0


def test_two_agents_taking_turns_on_a_growing_conversation_are_a_cycle(tmp_path: Path) -> None:
    # Each round's prompt carries the last output (so no two prompts are equal); the callers alternate.
    steps: list[dict[str, Any]] = []
    t, history = 1.0, ["Draft the clause."]
    for r in range(12):
        for who in ("drafter", "reviewer"):
            aid = f"{who[0]}a{r:014d}"
            steps.append(_obs(aid, None, "AGENT", who, t, t + 5))
            steps.append(_generation(f"{who[0]}g{r:014d}", aid, "chat", t + 0.1, [{"role": "user", "content": "\n".join(history)}],
                                     f"{who} round {r}", 3000 + 500 * r))
            history.append(f"{who} round {r}")
            t += 6
    f = _found(_trace(tmp_path / "agents.json", steps))
    assert f.height == 1
    assert f.row(0, named=True)["decisive_span_id"] == "rg" + "0" * 14


def test_two_steps_of_one_agent_taking_turns_on_a_growing_conversation_are_a_cycle(tmp_path: Path) -> None:
    # Langfuse @observe spans "write" and "review" around generations of one agent and one model,
    # each prompt carrying the last output: the step the call is made in tells them apart.
    steps: list[dict[str, Any]] = []
    t, history = 1.0, ["Draft the subject line."]
    for r in range(12):
        for step in ("write", "review"):
            sid = f"{step[0]}s{r:014d}"
            steps.append(_obs(sid, "ag" + "0" * 14, "SPAN", step, t, t + 5))
            steps.append(_generation(f"{step[0]}g{r:014d}", sid, "OpenAI-generation", t + 0.1,
                                     [{"role": "user", "content": "\n".join(history)}], f"{step} {r}", 3000 + 400 * r))
            history.append(f"{step} {r}")
            t += 6
    f = _found(_trace(tmp_path / "steps.json", steps))
    assert f.height == 1
    assert f.row(0, named=True)["decisive_span_id"] == "rg" + "0" * 14
    # Near miss: the same steps with a search between rounds brought new input each time.
    for r in range(12):
        steps.append(_obs(f"t{r:015d}", "ag" + "0" * 14, "TOOL", "web_search", 1.0 + 12 * r + 5.5, 1.0 + 12 * r + 5.9,
                          input={"query": f"q{r}"}, output={"results": [f"r{r}"]}))
    assert _found(_trace(tmp_path / "steps_tools.json", steps)).height == 0


def _self_loop(calls: int, grow: int = 1000, tool_between: bool = False) -> list[dict[str, Any]]:
    # One agent sending the model its own last draft again (critique-and-rewrite on one text): the
    # same caller each time, the prompt growing by what the last call wrote; no content captured.
    steps: list[dict[str, Any]] = []
    t = 1.0
    for i in range(calls):
        steps.append(_generation(f"s{i:015d}", "ag" + "0" * 14, "chat", t, None, f"draft {i}", 3000 + grow * i))
        t += 6
        if tool_between:
            steps.append(_obs(f"t{i:015d}", "ag" + "0" * 14, "TOOL", "fetch_listing", t, t + 1,
                              input={"id": i}, output={"photos": i}))  # fmt: skip
            t += 2
    return steps


def test_one_call_sent_its_own_growing_output_past_the_cap_is_a_runaway(tmp_path: Path) -> None:
    f = _found(_trace(tmp_path / "self.json", _self_loop(24)))
    assert f.height == 1
    row = f.row(0, named=True)
    # The first call wrote the draft (ordinary); the first re-call started the loop.
    assert row["decisive_span_id"] == "s" + "0" * 14 + "1"
    assert "sent its own growing output again 23 times (24 calls" in row["explanation"]


def test_one_call_repeated_without_growth_at_the_cap_or_with_tool_work_is_no_self_loop(tmp_path: Path) -> None:
    # Twenty-one calls is within the cap (a writer and critic at ten rounds make twenty); a prompt that did not grow by the last output
    # is a retry or a new conversation; a tool between calls brought new input.
    assert _found(_trace(tmp_path / "cap.json", _self_loop(21))).height == 0
    assert _found(_trace(tmp_path / "flat.json", _self_loop(20, grow=50))).height == 0
    assert _found(_trace(tmp_path / "tools.json", _self_loop(20, tool_between=True))).height == 0
