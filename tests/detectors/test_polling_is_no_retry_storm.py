"""A tool re-run while what it reports keeps changing polls a moving state: no retry storm.

An OpenHands agent (event stream: run action + CmdOutputObservation merged by ``cause``, exit code in
extras.metadata.exit_code, openhands/events/observation/commands.py) waits for a rollout with
``kubectl rollout status --timeout=30s``; the wait times out (exit 1) while the rollout is still
progressing, and each time it reports a different progress line. That is polling, not one failing
request resent without backoff. Near miss: the same failure text each time, the command re-run with
no model response issuing it (a runtime's resend), is a storm; issued by the model each time it is
the agent's own repeat (decisions.py), no storm.
"""

from __future__ import annotations

import json
from pathlib import Path

import forensics

CMD = "kubectl -n dev rollout status deploy/api --timeout=30s"


def _polls(tmp_path: Path, outputs: list[str], issued: bool = True) -> list[str]:
    events: list[dict] = [
        {"id": 0, "timestamp": "2026-05-02T10:00:00", "source": "user", "message": "Roll out api and wait for it.",
         "action": "message", "args": {"content": "Roll out api and wait for it.", "image_urls": None, "wait_for_response": False}},
    ]
    t = 5
    for i, out in enumerate(outputs):
        code = 0 if i == len(outputs) - 1 else 1
        meta = {"exit_code": code, "pid": -1, "working_dir": "/workspace", "prefix": "", "suffix": ""}
        action = {"id": 1 + 2 * i, "timestamp": f"2026-05-02T10:{t // 60:02d}:{t % 60:02d}", "source": "agent",
                  "message": f"Running command: {CMD}", "action": "run",
                  "args": {"command": CMD, "is_input": False, "thought": "Check the rollout."}}
        if issued:
            action["tool_call_metadata"] = {"function_name": "execute_bash", "tool_call_id": f"c{i}",
                                            "model_response": {"id": f"r{i}", "model": "gpt-4o"}}
        events.append(action)
        t += 31
        events.append({"id": 2 + 2 * i, "timestamp": f"2026-05-02T10:{t // 60:02d}:{t % 60:02d}", "source": "agent",
                       "cause": 1 + 2 * i, "message": f"Command `{CMD}` executed with exit code {code}.",
                       "observation": "run", "content": out, "extras": {"command": CMD, "metadata": meta}})
        t += 1
    events.append({"id": 50, "timestamp": "2026-05-02T10:03:00", "source": "agent", "message": "Rolled out.",
                   "action": "finish", "args": {"final_thought": "api is rolled out.", "outputs": {}, "thought": ""}})
    path = tmp_path / "poll.json"
    path.write_text(json.dumps(events))
    findings, _ = forensics.classify(forensics.load(path).spans).to_polars()
    return findings["detector"].to_list()


TIMEOUT = "error: timed out waiting for the condition"


def test_a_status_wait_reporting_progress_each_time_is_no_retry_storm(tmp_path: Path) -> None:
    outputs = [f'Waiting for deployment "api" rollout to finish: {n} of 3 updated replicas are available...\n{TIMEOUT}'
               for n in (0, 1, 2)] + ['deployment "api" successfully rolled out']
    assert "retry_storm" not in _polls(tmp_path, outputs)


def test_the_same_failure_each_time_resent_by_no_model_is_a_retry_storm(tmp_path: Path) -> None:
    outputs = [f'Waiting for deployment "api" rollout to finish: 0 of 3 updated replicas are available...\n{TIMEOUT}'] * 3
    outputs.append('deployment "api" successfully rolled out')
    assert "retry_storm" in _polls(tmp_path, outputs, issued=False)


def test_the_same_failure_each_time_issued_by_the_model_is_no_retry_storm(tmp_path: Path) -> None:
    outputs = [f'Waiting for deployment "api" rollout to finish: 0 of 3 updated replicas are available...\n{TIMEOUT}'] * 3
    outputs.append('deployment "api" successfully rolled out')
    assert "retry_storm" not in _polls(tmp_path, outputs)
