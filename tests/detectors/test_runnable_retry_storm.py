"""LangChain's ``Runnable.with_retry``, as LangSmith records it: a retry storm with no backoff.

``RunnableRetry`` (langchain-ai/langchain ``libs/core/langchain_core/runnables/retry.py``) runs the
runnable it wraps once per attempt inside a tenacity ``Retrying`` loop, each attempt a child run of
the ``RunnableRetry`` run, tagged ``retry:attempt:<n>`` from the second (``_patch_config``:
``run_manager.get_child(f"retry:attempt:{attempt}")``). ``stop_after_attempt`` defaults to 3. With
``wait_exponential_jitter=True`` (the default) tenacity sleeps ``wait_exponential_jitter`` between
attempts (initial 1 s, doubling, plus up to 1 s of jitter: tenacity ``wait.py``); with ``False`` no
wait is set and the attempts run back to back, each the moment the previous one failed.

The exports below are LangSmith run objects (a JSON array; ``parent_run_id`` links, ``tags``,
``error`` the exception's text, ``status``), as ``Client.list_runs`` returns them.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl

import forensics

T0 = datetime(2026, 11, 24, 19, 12, 9)
TRACE = "1f0c9a52-6c1e-4d5e-9a41-0b7f2d3c4e51"
RATE_LIMITED = (
    "RateLimitError(\"Error code: 429 - {'error': {'message': 'Rate limit reached for gpt-4o in organization "
    "org-7Qx on requests per min (RPM): Limit 500, Used 500, Requested 1.', 'type': 'requests', 'param': None, "
    "'code': 'rate_limit_exceeded'}}\")"
)
ASK = [{"role": "user", "content": "Summarise ticket #4471 for the on-call engineer."}]
SUMMARY = "Ticket #4471: checkout latency above 2 s since 18:40 UTC; rollback of release 2026.11.24-3 advised."


def _uid(name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, name))


def _run(name: str, run_type: str, start: float, end: float, parent: str | None, *, error: str | None = None,
         tags: list[str] | None = None, outputs: dict[str, Any] | None = None, rid: str | None = None) -> dict[str, Any]:  # fmt: skip
    return {
        "id": rid or _uid(f"{name}{start}"),
        "name": name,
        "run_type": run_type,
        "start_time": (T0 + timedelta(seconds=start)).isoformat(),
        "end_time": (T0 + timedelta(seconds=end)).isoformat(),
        "parent_run_id": parent,
        "trace_id": TRACE,
        "inputs": {"messages": ASK},
        "outputs": outputs,
        "error": error,
        "status": "error" if error else "success",
        "tags": tags or [],
        "extra": {"metadata": {"ls_provider": "openai", "ls_model_name": "gpt-4o"}} if run_type == "llm" else {},
        "session_id": "pr_oncall_digest",
    }


def _export(attempts: list[tuple[float, float, bool]], tmp_path: Path) -> pl.DataFrame:
    """A sequence ``prompt | llm.with_retry(...)``: ``attempts`` as (start, end, failed), in seconds."""
    failed_out = attempts[-1][2]
    end = attempts[-1][1] + 0.01
    root, retry = TRACE, _uid("retry")
    runs = [
        _run("RunnableSequence", "chain", 0, end, None, rid=root, error=RATE_LIMITED if failed_out else None,
             outputs=None if failed_out else {"output": SUMMARY}),  # fmt: skip
        _run("ChatPromptTemplate", "prompt", 0.001, 0.002, root, outputs={"output": ASK}),
        _run("RunnableRetry", "chain", 0.003, end - 0.005, root, rid=retry, error=RATE_LIMITED if failed_out else None,
             outputs=None if failed_out else {"output": SUMMARY}),  # fmt: skip
    ]
    for n, (start, stop, failed) in enumerate(attempts, start=1):
        answer = {"generations": [[{"text": SUMMARY, "type": "ChatGeneration"}]], "llm_output": None}
        runs.append(_run("ChatOpenAI", "llm", start, stop, retry, error=RATE_LIMITED if failed else None,
                         tags=[f"retry:attempt:{n}"] if n > 1 else [], outputs=None if failed else answer))  # fmt: skip
    path = tmp_path / "runs.json"
    path.write_text(json.dumps(runs))
    return pl.DataFrame(pl.from_arrow(forensics.classify(forensics.load(path).spans).findings))


def _back_to_back(n: int) -> list[tuple[float, float, bool]]:
    # Each 429 comes back in ~0.3 s and the next attempt starts within a couple of milliseconds
    # (tenacity's loop and the callback manager), uneven as a real clock is.
    out, t = [], 0.004
    for i in range(n):
        out.append((t, t + 0.31 + 0.02 * (i % 2), True))
        t = out[-1][1] + (0.0011, 0.0029, 0.0017, 0.0041)[i % 4]
    return out


def test_three_back_to_back_attempts_without_backoff_are_a_retry_storm(tmp_path: Path) -> None:
    found = _export(_back_to_back(3), tmp_path)
    storm = found.filter(pl.col("detector") == "retry_storm")
    assert storm.height == 1
    first_attempt = _uid("ChatOpenAI0.004")
    assert storm.get_column("decisive_span_id").item() == first_attempt
    assert "failed 3 time(s)" in storm.get_column("explanation").item()


def test_near_miss_the_default_jittered_backoff_that_recovers_is_no_storm(tmp_path: Path) -> None:
    # wait_exponential_jitter: 1 s + jitter 0.93, then 2 s + jitter 0.12 (growth 1.1: the jitter
    # hides the doubling); the third attempt answered.
    a1 = (0.004, 0.318, True)
    a2 = (a1[1] + 1.93, a1[1] + 1.93 + 0.29, True)
    a3 = (a2[1] + 2.12, a2[1] + 2.12 + 1.8, False)
    found = _export([a1, a2, a3], tmp_path)
    assert found.height == 0 or "retry_storm" not in found.get_column("detector").to_list()
