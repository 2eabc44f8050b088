"""A pydantic-ai retry prompt counts once: on the model call whose newest request carries it.

pydantic-ai sends the whole message history with every model call, so the retry prompt that answered
one tool's ModelRetry ("...\\n\\nFix the errors and try again.", RetryPromptPart.model_response in
pydantic_ai/messages.py) stays in the input of every later call of the run. Only the call whose
newest request (what follows the model's last response in its input) is that prompt was sent
because an answer was rejected; counting the later ones turned one corrected SQL query into seven
"retries" past the limit of 3.
"""

from __future__ import annotations

import json

from span_builder import detectors, run, span

RETRY = "relation \"account\" does not exist\n\nFix the errors and try again."
LLM = {"parent_id": "root", "kind": "llm", "model": "claude-sonnet-4-0", "agent": "sql_analyst"}


def _history(turns: list[tuple[str, str]]) -> str:
    """The input of a model call: the user's question, then each (tool call, tool result) turn."""
    msgs: list[dict[str, object]] = [{"role": "user", "parts": [{"type": "text", "content": "Q3 churn by region?"}]}]
    for i, (sql, result) in enumerate(turns):
        msgs.append({"role": "assistant", "parts": [{"type": "tool_call", "id": f"c{i}", "name": "run_sql", "arguments": {"sql": sql}}]})
        msgs.append({"role": "user", "parts": [{"type": "tool_call_response", "id": f"c{i}", "name": "run_sql", "result": result}]})
    return json.dumps(msgs)


def _run(results: list[str]) -> set[str]:
    """One model call per turn, each sent with the whole history so far; the tool results are ``results``."""
    rows = [span("root", 0, 60, kind="agent", name="sql_analyst", agent="sql_analyst", status="ok",
                 output="EMEA lost the most (182.4k).")]
    turns: list[tuple[str, str]] = []
    for i, result in enumerate(results):
        rows.append(span(f"m{i}", 1 + i * 3, 2 + i * 3, **LLM, input=_history(turns)))
        turns.append((f"SELECT {i}", result))
    rows.append(span("final", 1 + len(results) * 3, 2 + len(results) * 3, **LLM, input=_history(turns),
                     output="EMEA lost the most (182.4k)."))
    return detectors(run(*rows))


def test_one_retry_prompt_early_in_a_long_history_is_no_storm() -> None:
    # The first query was rejected once and corrected; seven more calls carry that prompt in their history.
    assert "retry_storm" not in _run([RETRY] + ['{"rows": [[1]]}'] * 7)


def test_near_miss_five_retry_prompts_in_a_row_are_a_storm() -> None:
    # Each newest request is a retry prompt: five rejected answers in a row, past the limit of 3.
    assert "retry_storm" in _run([RETRY] * 5)
