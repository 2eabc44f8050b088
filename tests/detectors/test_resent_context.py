"""runaway_cost.resent_context: one large context re-sent uncached on call after call.

Firing shapes, from the frameworks' own emitting code:

* Strands Agents (OTel GenAI): the event loop sends the agent's whole message list, a document
  block attached to the first message included, on every cycle (strands-agents/sdk-python
  ``src/strands/event_loop/event_loop.py``); each ``chat`` span carries ``gen_ai.usage.input_tokens``
  and, only when Bedrock returned one, ``gen_ai.usage.cache_read_input_tokens``
  (``src/strands/telemetry/tracer.py`` ``end_model_invoke_span``,
  ``_add_optional_usage_and_metrics_attributes``).
* Claude Code: each assistant line's ``message.usage`` as the Anthropic API returned it
  (``input_tokens``, ``cache_creation_input_tokens``, ``cache_read_input_tokens``; anthropic-sdk-python
  ``src/anthropic/types/usage.py``); the loader counts the three as the prompt.

Near misses: the same Claude Code session with its prompt read from the cache (Claude Code caches
the conversation prefix), every cache spelling the convention reads, and an ordinary long run whose
history grows until it reaches half the window only at its end, which a "total prompt tokens over
several context windows" rule would flag (measured, and why that candidate was dropped).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from span_builder import detectors, findings, one, run, span

from forensics.classify import classify
from forensics.load import load

SONNET_4 = "us.anthropic.claude-sonnet-4-20250514-v1:0"  # 200,000-token window in the vendored table
CLAUSES = ["indemnity", "limitation_of_liability", "termination", "assignment", "governing_law", "audit", "sla", "data_protection"]  # fmt: skip


def _strands(cache_attr: str | None = None, cached: int = 0, prompt: int = 142_000) -> list[dict]:
    """A Strands contract reviewer with a long MSA attached as a document block: one event-loop
    cycle per clause, each ``chat`` re-sending the document with the growing history."""
    rows = [span("agent", 0, 400, kind="agent", name="invoke_agent contract_reviewer", agent="contract_reviewer",
                 input="Review the attached MSA clause by clause.", output="Eight clauses reviewed.")]
    for i, clause in enumerate(CLAUSES):
        t = 1 + 40 * i
        usage = {"gen_ai.usage.input_tokens": prompt + 1_350 * i, "gen_ai.usage.output_tokens": 160}
        if cache_attr:
            usage[cache_attr] = cached
        rows += [
            span(f"cycle{i}", t, t + 39, parent_id="agent", kind="chain", name="execute_event_loop_cycle"),
            span(f"chat{i}", t, t + 30, parent_id=f"cycle{i}", kind="llm", name="chat", model=SONNET_4,
                 input_tokens=prompt + 1_350 * i, output_tokens=160, attributes=json.dumps(usage)),
            span(f"tool{i}", t + 31, t + 32, parent_id=f"cycle{i}", kind="tool", name="execute_tool extract_clause",
                 tool="extract_clause", input=json.dumps({"clause": clause}), output=json.dumps({"clause": clause, "found": True})),
        ]  # fmt: skip
    return rows


def test_strands_document_resent_on_every_cycle_is_runaway_cost() -> None:
    """Eight chat turns at 142,000-151,450 prompt tokens on a 200,000-token window, no cache read
    recorded: the finding names the streak and its first call is decisive."""
    c = run(*_strands())
    f = one(c, "resent_context")
    assert f["failure_class"] == "runaway_cost"
    assert f["decisive_span_id"] == "chat0"
    assert f["evidence_span_ids"] == [f"chat{i}" for i in range(8)]
    total = sum(142_000 + 1_350 * i for i in range(8))
    assert "8 consecutive model calls each sent 142000 to 151450 prompt tokens" in f["explanation"]
    assert "71% or more of its 200000-token context window" in f["explanation"]
    assert f"{total} prompt tokens in all" in f["explanation"]


def test_near_miss_four_turns_are_no_streak() -> None:
    """The same document re-sent on four turns only (fewer than resent_context_calls): no finding."""
    rows = _strands()[: 1 + 3 * 4]  # the agent, then three spans per cycle
    assert "resent_context" not in detectors(run(*rows))


@pytest.mark.parametrize(
    "attr",
    [
        "gen_ai.usage.cache_read_input_tokens",  # Strands over Bedrock (cacheReadInputTokens)
        "gen_ai.usage.cache_read.input_tokens",  # OTel GenAI semantic conventions
        "llm.token_count.prompt_details.cache_read",  # OpenInference
    ],
)
def test_near_miss_prompt_read_from_the_cache_is_not_resent_cost(attr: str) -> None:
    """Each turn read the document from the provider's cache: the repeat was billed as a cache read."""
    assert "resent_context" not in detectors(run(*_strands(attr, cached=140_000)))


def test_a_cache_figure_of_zero_is_no_cache_read() -> None:
    """A provider that reports its cache and read nothing from it: the same re-sent cost."""
    assert "resent_context" in detectors(run(*_strands("gen_ai.usage.cache_read_input_tokens", cached=0)))


def _claude_code(path: Path, cache_read: int) -> Path:
    """A Claude Code session (transcript lines as Claude Code writes them): the user pastes a large
    journald dump, then ten one-pattern Grep turns; every assistant line's usage as the API returned
    it. With caching the prompt prefix is a cache read; without it every turn sends it whole."""
    sid = "0b6f8f7e-5a0c-4c55-9d1e-1f4b8c9a7e21"
    lines = [{"type": "user", "uuid": "u0", "parentUuid": None, "sessionId": sid, "timestamp": "2025-10-02T09:00:00Z",
              "message": {"role": "user", "content": "Why did the api service restart overnight? Log attached: " + "x" * 200}}]
    parent = "u0"
    for i in range(10):
        prompt = 171_400 + 2_900 * i
        read = min(cache_read, prompt)
        usage = {"input_tokens": prompt - read, "cache_creation_input_tokens": 0, "cache_read_input_tokens": read,
                 "output_tokens": 60}
        lines.append({"type": "assistant", "uuid": f"a{i}", "parentUuid": parent, "sessionId": sid,
                      "timestamp": f"2025-10-02T09:{i + 1:02d}:00Z",
                      "message": {"id": f"msg_{i}", "role": "assistant", "model": "claude-sonnet-4-5-20250929",
                                  "content": [{"type": "tool_use", "id": f"toolu_{i}", "name": "Grep",
                                               "input": {"pattern": f"pattern{i}", "path": "journal.log"}}],
                                  "stop_reason": "tool_use", "usage": usage}})
        lines.append({"type": "user", "uuid": f"r{i}", "parentUuid": f"a{i}", "sessionId": sid,
                      "timestamp": f"2025-10-02T09:{i + 1:02d}:30Z",
                      "message": {"role": "user", "content": [{"type": "tool_result", "tool_use_id": f"toolu_{i}",
                                                                "content": f"{i} matches"}]}})
        parent = f"r{i}"
    out = path / "session.jsonl"
    out.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    return out  # fmt: skip


def test_claude_code_log_resent_with_no_cache_is_runaway_cost(tmp_path: Path) -> None:
    """cache_read_input_tokens 0 on every turn: ten turns at 171,400-197,500 of a 200,000 window."""
    c = classify(load(_claude_code(tmp_path, cache_read=0)).spans)
    f = one(c, "resent_context")
    assert f["decisive_span_id"] == "a0"
    assert "10 consecutive model calls each sent 171400 to 197500 prompt tokens" in f["explanation"]


def test_near_miss_claude_code_session_reading_its_prefix_from_the_cache(tmp_path: Path) -> None:
    """The same session with prompt caching (Claude Code's default): each turn read 168,000 tokens
    from the cache, so the loader's prompt count is as large but the repeat was a cache read."""
    c = classify(load(_claude_code(tmp_path, cache_read=168_000)).spans)
    assert not findings(c, "resent_context")


def _growing_history() -> list[dict]:
    """An OpenAI Agents SDK research run (generation spans, gpt-4o's 128,000-token window): twenty
    turns whose history grows by 3,000 tokens a turn from 8,000, as each tool result is appended."""
    rows = [span("agent", 0, 900, kind="agent", name="Researcher", agent="Researcher", output="Report written.")]
    for i in range(20):
        t = 1 + 40 * i
        rows += [
            span(f"gen{i}", t, t + 20, parent_id="agent", kind="llm", name="generation", model="gpt-4o-2024-08-06",
                 agent="Researcher", input_tokens=8_000 + 3_000 * i, output_tokens=200),
            span(f"search{i}", t + 21, t + 30, parent_id="agent", kind="tool", name="web_search", tool="web_search",
                 agent="Researcher", input=json.dumps({"query": f"topic {i}"}), output=json.dumps({"hits": [f"r{i}"]})),
        ]  # fmt: skip
    return rows


def test_near_miss_history_growing_to_half_the_window_at_the_end() -> None:
    """Ordinary long work: its prompts sum to 5.7 windows (a rule on the run's total over several
    windows fires here), but only its last turn sends half the window: no streak, no finding."""
    rows = _growing_history()
    total = sum(r["input_tokens"] for r in rows if r.get("input_tokens"))
    assert total / 128_000 > 5
    assert "resent_context" not in detectors(run(*rows))


def _paging(tools: list[str]) -> list[dict]:
    """An OpenAI Agents SDK agent (generation and function spans; gpt-4o's 128,000-token window; the
    Runner sends the whole input list, every tool output appended, on each turn: openai-agents-python
    ``src/agents/run.py``): a lookup first, then one tool call per turn whose ~12,000-token result is
    appended, so the prompt grows from 12,000 to 120,000; the last five turns send half the window or
    more. ``tools``: the tool each of the nine middle turns calls."""
    rows = [span("agent", 0, 900, kind="agent", name="Fare desk", agent="Fare desk", output="Non-refundable; credit only.")]
    rows += [
        span("gen0", 1, 2, parent_id="agent", kind="llm", name="generation", model="gpt-4o-2024-08-06",
             agent="Fare desk", input_tokens=2_000, output_tokens=30),
        span("lookup", 3, 4, parent_id="agent", kind="tool", name="get_booking", tool="get_booking", agent="Fare desk",
             input=json.dumps({"pnr": "QX81ZD"}), output=json.dumps({"fare_basis": "KLOWUS2"})),
    ]  # fmt: skip
    for i in range(1, 11):
        t = 10 * i
        rows.append(span(f"gen{i}", t, t + 2, parent_id="agent", kind="llm", name="generation", model="gpt-4o-2024-08-06",
                         agent="Fare desk", input_tokens=12_000 * i, output_tokens=30))  # fmt: skip
        if i < 10:
            rows.append(span(f"tool{i}", t + 3, t + 5, parent_id="agent", kind="tool", name=tools[i - 1], tool=tools[i - 1],
                             agent="Fare desk", input=json.dumps({"page": i}), output=json.dumps({"page": i, "text": "..."})))  # fmt: skip
    return rows


def test_a_tool_loop_feeding_the_context_began_the_resending() -> None:
    """Nine turns each calling the fare-rules tool for the next page: the streak (turns 6-10, 72,000
    tokens and up) was fed by the paging, which began with the model call that first asked for a
    page (gen1), not the turn that crossed the policy's fraction."""
    f = one(run(*_paging(["get_fare_rules"] * 9)), "resent_context")
    assert f["decisive_span_id"] == "gen1"
    assert f["evidence_span_ids"] == ["gen1", "gen6", "gen7", "gen8", "gen9", "gen10"]
    assert "growing since the model call that began calling tool get_fare_rules" in f["explanation"]


def test_near_miss_turns_calling_different_tools_keep_the_streak_start() -> None:
    """The same growth from turns that each called another tool (a search, a fetch, in turn): no one
    loop fed the context, so the re-sending is told from the streak's first call."""
    f = one(run(*_paging(["web_search", "fetch_page"] * 4 + ["web_search"])), "resent_context")
    assert f["decisive_span_id"] == "gen6"
    assert "growing since" not in f["explanation"]
