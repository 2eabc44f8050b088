"""A model turn the provider paused and nothing resumed, under a run reported done
(forensics/conventions/paused_turns.py, forensics/detectors/paused_turns.py).

Anthropic's Messages API may stop a long server-tool turn (web search, web fetch) with
``stop_reason: "pause_turn"`` (anthropics/anthropic-sdk-python ``src/anthropic/types/stop_reason.py``);
the client is to send the paused response back to let the model finish the turn (langchain-anthropic
``AnthropicPauseTurnMiddleware``). A loop that reads only ``tool_use`` ends on the paused turn and
hands its preamble on as the answer. Instrumentations record the reason as
``gen_ai.response.finish_reasons`` and as the output message's ``finish_reason``.

Near misses: the turn sent back and finished (a later model call, ``end_turn``); a turn that ended
normally; a paused turn under a run that reported failure.
"""

from __future__ import annotations

import json
from typing import Any

from span_builder import detectors, findings, run, span

ASK = "Summarise what the three vendors charge for fleet telematics this year and post it to the team wiki."
SEARCHED = [
    {"type": "text", "content": "Let me look up current pricing for each vendor."},
    {"type": "server_tool_call", "id": "srvtoolu_a1", "name": "web_search", "arguments": {"query": "Samsara telematics price"}},
    {"type": "server_tool_call_response", "id": "srvtoolu_a1", "response": "[7 web_search_result blocks]"},
    {"type": "text", "content": "Interim notes so far: Samsara lists per-vehicle plans;"},
]


def _model(sid: str, start: float, parts: list[dict[str, Any]], reason: str) -> dict[str, Any]:
    out = json.dumps([{"role": "assistant", "parts": parts, "finish_reason": reason}])
    attrs = json.dumps({"gen_ai.system": "anthropic", "gen_ai.response.finish_reasons": [reason],
                        "gen_ai.usage.server_tool_use.web_search_requests": 10})  # fmt: skip
    return span(sid, start, start + 8, kind="llm", parent_id="root", agent="research", name="chat claude-sonnet-4-5",
                model="claude-sonnet-4-5", output=out, attributes=attrs)  # fmt: skip


def _run(*models: dict[str, Any], status: str = "ok", answer: str = "Vendor pricing summary posted to the wiki.") -> Any:
    # The models answer by 18 s; the post follows at 20 s.
    return run(
        span("root", 0, 24, kind="agent", name="invoke_agent research", agent="research", input=ASK,
             output=answer, status=status),  # fmt: skip
        *models,
        span("post", 20, 21, kind="tool", parent_id="root", agent="research", tool="wiki_post_page",
             input=json.dumps({"title": "Telematics pricing", "body": "Interim notes so far: ..."}),
             output=json.dumps({"page_id": "pg-3391", "url": "https://wiki.example.org/pg-3391"})),  # fmt: skip
    )


def test_a_paused_turn_nothing_resumed_is_a_premature_success() -> None:
    c = _run(_model("m1", 1, SEARCHED, "pause_turn"))
    (row,) = findings(c, "premature_success")
    assert row["decisive_span_id"] == "m1"
    assert "pause_turn" in row["explanation"]


def test_near_miss_the_paused_turn_sent_back_and_finished() -> None:
    done = [{"type": "text", "content": "Samsara, Motive and Geotab: per-vehicle monthly plans, compared below."}]
    c = _run(_model("m1", 1, SEARCHED, "pause_turn"), _model("m2", 10, done, "end_turn"))
    assert detectors(c) == set()


def test_near_miss_a_turn_that_ended_or_a_run_that_said_it_failed() -> None:
    assert detectors(_run(_model("m1", 1, SEARCHED, "end_turn"))) == set()
    failed = _run(_model("m1", 1, SEARCHED, "pause_turn"), status="error", answer="Research did not finish.")
    assert "premature_success" not in detectors(failed)
