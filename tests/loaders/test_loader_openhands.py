"""openhands on the real OpenHands trajectory and hand-written quirk files."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from realdata import shared_file

import forensics

REAL = "jsonl_app_logs/openhands_trajs_basic.json"
DATA = Path(__file__).resolve().parents[1] / "data" / "openhands"


def _real() -> Path:
    return shared_file(REAL)


def _rows(result: forensics.LoadResult) -> dict[str, dict]:
    return {r["span_id"]: r for r in result.spans.to_pylist()}


def test_real_file() -> None:
    result = forensics.load(_real())
    account = result.report.files[0]
    assert (account.format, account.chosen_by) == ("openhands", "sniffed")
    # Read by hand: 4 events. 0: the user's message; 3: an `edit` action calling
    # str_replace_editor; 4: its `edit` observation (cause 3); 5: the `finish` action.
    # No error observation, no delegation. The file names no run: the run is the file.
    assert result.run_ids == ["openhands_trajs_basic"]
    # Rows: the three events plus the run span they hang under.
    assert (account.rows, account.merged, account.quarantined) == (4, 1, 0)
    rows = _rows(result)
    assert rows.pop("run")["kind"] == "chain"
    # The `finish` action is the agent's last word to the user (its event `message`): an answer.
    assert Counter(r["kind"] for r in rows.values()) == {"human": 1, "tool": 1, "llm": 1}
    user, edit, finish = rows["0"], rows["3"], rows["5"]
    assert user["output"].startswith("Please create a simple 2048 game.")
    assert user["agent"] is None
    assert (edit["tool"], edit["agent"], edit["status"]) == ("str_replace_editor", "agent", "ok")
    # The observation (event 4) closes the action: its time is the end, its content the output.
    assert edit["start_time"].isoformat() == "2025-01-27T22:45:13.764487+00:00"
    assert edit["end_time"].isoformat() == "2025-01-27T22:45:13.801384+00:00"
    assert edit["output"].startswith("--- /workspace/game_2048.py")
    assert json.loads(edit["attributes"])["@observation"]["id"] == 4
    assert json.loads(edit["input"])["path"] == "/workspace/game_2048.py"
    # model_response.usage of each response (ids differ between 3 and 5).
    assert (edit["model"], edit["input_tokens"], edit["output_tokens"]) == ("claude-3-5-sonnet-20241022", 3486, 1135)
    assert (finish["name"], finish["kind"], finish["input_tokens"], finish["output_tokens"]) == ("finish", "llm", 4646, 177)
    assert finish["output"].startswith("I've created a simple implementation of the 2048 game")
    assert finish["end_time"] == finish["start_time"]  # finish gets no observation: an instant
    assert not [r for r in rows.values() if r["status"] == "error" or r["kind"] == "handoff"]


def test_quirks() -> None:
    result = forensics.load(DATA / "quirks.json")
    account = result.report.files[0]
    assert account.format == "openhands"
    assert (account.rows, account.merged, account.quarantined) == (13, 4, 0)  # 12 events + the run span
    rows = _rows(result)
    assert rows.pop("run")["kind"] == "chain"
    assert Counter(r["kind"] for r in rows.values()) == {"human": 1, "event": 4, "tool": 4, "handoff": 1, "llm": 2}
    # The agent's finish (event 13, message "done", no final_thought) is its last word: an answer.
    assert (rows["13"]["kind"], rows["13"]["name"], rows["13"]["output"]) == ("llm", "finish", "done")
    bash = rows["2"]  # closed by observation 3, exit code 1
    assert (bash["tool"], bash["status"], bash["error_type"], bash["output"]) == (
        "execute_bash", "error", "exit_code=1", "1 failed")
    assert bash["end_time"].isoformat() == "2025-03-01T12:00:05+00:00"
    assert (bash["input_tokens"], bash["output_tokens"]) == (100, 10)
    # Two tool calls of one response (r2): usage counted on the first only.
    assert (rows["4"]["input_tokens"], rows["5"]["input_tokens"]) == (200, None)
    read = rows["5"]  # closed by an ErrorObservation
    assert (read["status"], read["error_type"], read["error_message"]) == (
        "error", "ErrorObservation", "File not found: /x.py")
    assert rows["4"]["status"] == "ok" and rows["4"]["output"] == "1"
    delegate = rows["8"]
    assert (delegate["kind"], delegate["handoff_to"], delegate["output"]) == ("handoff", "BrowsingAgent", "found them")
    browse = rows["9"]  # the delegate's own action, never answered
    assert (browse["agent"], browse["end_time"], browse["status"]) == ("BrowsingAgent", None, "unset")
    assert (rows["11"]["kind"], rows["11"]["agent"], rows["11"]["output"]) == ("llm", "agent", "All done, the fix is in.")
    assert (rows["12"]["kind"], rows["12"]["parent_id"]) == ("event", "99")  # cause outside the file
    assert (rows["14"]["kind"], rows["14"]["parent_id"]) == ("event", "2")  # a second observation of 2
    assert rows["1"]["kind"] == "event" and rows["1"]["agent"] is None
    # The controller stopping the agent on an error is an error event.
    stopped = rows["15"]
    assert (stopped["status"], stopped["error_type"], stopped["error_message"]) == (
        "error", "agent_state_error", "RuntimeError: agent got stuck in a loop")
    assert sorted(k for k, r in rows.items() if r["status"] == "error") == ["15", "2", "5"]


def test_evaluation_output_lines_are_runs() -> None:
    result = forensics.load(DATA / "eval_output.jsonl")
    assert result.report.files[0].format == "openhands"
    assert result.run_ids == ["django__django-1", "django__django-2"]
    rows = {(r["run_id"], r["span_id"]): r for r in result.spans.to_pylist()}
    assert len(rows) == 4 + 2
    root1, root2 = rows[("django__django-1", "run")], rows[("django__django-2", "run")]
    assert json.loads(root1["attributes"])["test_result"] == {"git_patch": "diff"}
    assert (root2["status"], root2["error_message"]) == ("error", "Agent got stuck in a loop")
    assert rows[("django__django-1", "0")]["parent_id"] == "run"
    assert rows[("django__django-1", "2")]["agent"] == "agent"


def test_malformed_events_are_quarantined_with_reasons() -> None:
    result = forensics.load(DATA / "malformed.json", format="openhands")
    account = result.report.files[0]
    reasons = {(q["source_line"], q["reason"]) for q in result.quarantine.to_pylist()}
    assert reasons == {(1, "not-an-object"), (2, "unknown-event"), (3, "missing-span-id"), (4, "invalid-time"),
                       (5, "invalid-id"), (6, "invalid-value")}
    assert [r["span_id"] for r in result.spans.to_pylist()] == ["6", "run"]
    # The run span is a row too: 7 records, 1 read into a span, 1 run span.
    assert account.records_read == 8 == account.rows + account.quarantined + account.merged


def test_truncated_trajectory_keeps_complete_events() -> None:
    result = forensics.load(DATA / "truncated.json", format="openhands")
    assert sorted(r["span_id"] for r in result.spans.to_pylist()) == ["0", "1", "run"]
    assert [q["reason"] for q in result.quarantine.to_pylist()] == ["truncated"]


@pytest.mark.parametrize("cut", [2000, 10_000, 26_000])
def test_real_file_cut_short_keeps_complete_events(tmp_path: Path, cut: int) -> None:
    data = _real().read_bytes()[:cut]
    path = tmp_path / "cut.json"
    path.write_bytes(data)
    result = forensics.load(path, format="openhands")
    assert [q["reason"] for q in result.quarantine.to_pylist()] == ["truncated"]
    # Only whole events are read: each span id is an event id of the real file.
    assert {r["span_id"] for r in result.spans.to_pylist()} <= {"0", "3", "5", "run"}


def test_one_event_per_line_reads_like_the_list(tmp_path: Path) -> None:
    events = json.loads(_real().read_text())
    path = tmp_path / "events.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in events))
    as_lines = forensics.load(path)
    as_list = forensics.load(_real())
    assert as_lines.report.files[0].format == "openhands"
    key = ["span_id", "kind", "tool", "status", "start_time", "end_time", "input_tokens", "output"]
    assert as_lines.spans.select(key).to_pylist() == as_list.spans.select(key).to_pylist()
    assert as_lines.run_ids == ["events"]  # the file stem


def _failed_install_then_finish(final_thought: str) -> list[dict]:
    """A session (OpenHands event serialization) whose install fails with exit code 1 and whose
    agent then finishes (AgentFinishAction: args.final_thought, task_completed)."""
    meta = {"exit_code": 1, "pid": -1, "username": None, "hostname": None, "working_dir": "/workspace",
            "py_interpreter_path": None, "prefix": "", "suffix": ""}
    return [
        {"id": 0, "timestamp": "2026-11-30T07:03:00", "source": "user", "message": "Upgrade the connector package.",
         "action": "message", "args": {"content": "Upgrade the connector package.", "image_urls": None, "wait_for_response": False}},
        {"id": 1, "timestamp": "2026-11-30T07:03:20", "source": "agent", "message": "Running command: pip install x",
         "action": "run", "args": {"command": "pip install 'connectors>=4'", "is_input": False, "thought": ""},
         "tool_call_metadata": {"function_name": "execute_bash", "tool_call_id": "c1", "model_response": {"id": "m1"}}},
        {"id": 2, "timestamp": "2026-11-30T07:03:25", "source": "agent", "cause": 1,
         "message": "Command `pip install` executed with exit code 1.", "observation": "run",
         "content": "ERROR: HTTP error 401 while getting https://pkgs.example.internal/simple/connectors/",
         "extras": {"command": "pip install 'connectors>=4'", "metadata": meta}},
        {"id": 3, "timestamp": "2026-11-30T07:04:00", "source": "agent", "message": final_thought, "action": "finish",
         "args": {"outputs": {}, "thought": "", "final_thought": final_thought, "task_completed": None},
         "tool_call_metadata": {"function_name": "finish", "tool_call_id": "c2", "model_response": {"id": "m2"}}},
        # The controller's state change after it (no cause: a root, content ""): it says nothing.
        {"id": 4, "timestamp": "2026-11-30T07:04:01", "source": "environment", "message": "", "observation":
         "agent_state_changed", "content": "", "extras": {"agent_state": "finished", "reason": ""}},
    ]


def test_finish_final_thought_is_the_runs_answer(tmp_path: Path) -> None:
    # An honest "could not" in the finish action is the run telling its caller it failed: the run's
    # final answer, so the failed install before it is not an error nobody reported.
    path = tmp_path / "honest.json"
    said = "I could not complete the upgrade because the private index rejects our credentials (HTTP 401)."
    path.write_text(json.dumps(_failed_install_then_finish(said)))
    loaded = forensics.load(path)
    assert _rows(loaded)["3"]["output"] == said
    findings, runs = forensics.classify(loaded.spans).to_polars()
    assert runs["reported_outcome"].to_list() == ["error"]  # the run said it failed
    assert "unhandled_error" not in findings["detector"].to_list()
    assert "swallowed_error" not in findings["detector"].to_list()
    # Near miss: a finish that glosses over the failure reports success over it: the failed install
    # is swallowed_error's (alone: an error the run reported success over is told once, as that).
    path = tmp_path / "glossed.json"
    path.write_text(json.dumps(_failed_install_then_finish("The connector package is upgraded.")))
    findings, runs = forensics.classify(forensics.load(path).spans).to_polars()
    assert runs["reported_outcome"].to_list() == ["success"]
    assert "swallowed_error" in findings["detector"].to_list()
    assert "unhandled_error" not in findings["detector"].to_list()


def _same_command_three_times(
    reason: str | None, *, thoughts: tuple[str, ...], usage: bool = True, issued: bool = True
) -> list[dict]:
    """A session (OpenHands event serialization) whose agent runs the same failing command three
    times, each from a model response of its own (CodeAct: one action per response, its usage on
    the action; ``thought`` is the response's text; without ``issued`` no action carries the
    response that issued it), then, with ``reason``, the controller stops
    it (AgentController._react_to_exception -> agent_state_changed to error, reason
    "AgentStuckInLoopError: ..."; openhands/controller/stuck.py found the action-error loop)."""
    meta = {"exit_code": 1, "pid": -1, "working_dir": "/workspace", "prefix": "", "suffix": ""}
    events: list[dict] = [
        {"id": 0, "timestamp": "2026-11-19T20:41:19", "source": "user", "message": "Add the column.",
         "action": "message", "args": {"content": "Add the column.", "image_urls": None, "wait_for_response": False}},
    ]
    for i, thought in enumerate(thoughts):
        response: dict = {"id": f"resp{i}", "model": "claude-sonnet-4"}
        if usage:
            response["usage"] = {"prompt_tokens": 11_000 + 900 * i, "completion_tokens": 40}
        action = {"id": 1 + 2 * i, "timestamp": f"2026-11-19T20:41:{30 + 6 * i}", "source": "agent",
                  "message": "Running command: alembic upgrade head", "action": "run",
                  "args": {"command": "alembic upgrade head", "is_input": False, "thought": thought}}
        if issued:
            action["tool_call_metadata"] = {"function_name": "execute_bash", "tool_call_id": f"c{i}", "model_response": response}
        events.append(action)
        events.append(
            {"id": 2 + 2 * i, "timestamp": f"2026-11-19T20:41:{33 + 6 * i}", "source": "agent", "cause": 1 + 2 * i,
             "message": "Command `alembic upgrade head` executed with exit code 1.", "observation": "run",
             "content": 'sqlalchemy.exc.ProgrammingError: type "preferred_channel" does not exist',
             "extras": {"command": "alembic upgrade head", "metadata": meta}})
    if reason is not None:
        events.append({"id": 99, "timestamp": "2026-11-19T20:41:50", "source": "environment", "message": "",
                       "observation": "agent_state_changed", "content": "",
                       "extras": {"agent_state": "error", "reason": reason}})
    return events


def test_stuck_in_loop_is_the_agents_repeated_action(tmp_path: Path) -> None:
    # The thought differs each time (the model's narration), the command does not: one call, three
    # times, each decided anew by a model response; the controller's stop is the agent's failure.
    path = tmp_path / "stuck.json"
    thoughts = ("Apply the migration.", "Let me apply the migration again.", "Applying the migration.")
    path.write_text(json.dumps(_same_command_three_times("AgentStuckInLoopError: Agent got stuck in a loop",
                                                         thoughts=thoughts)))
    loaded = forensics.load(path)
    rows = _rows(loaded)
    assert {rows[k]["input"] for k in ("1", "3", "5")} == {'{"command":"alembic upgrade head","is_input":false}'}
    assert json.loads(rows["3"]["attributes"])["thought"] == "Let me apply the migration again."
    assert (rows["99"]["agent"], rows["99"]["error_type"]) == ("agent", "agent_state_error")
    findings, _ = forensics.classify(loaded.spans).to_polars()
    found = dict(zip(findings["detector"].to_list(), findings["decisive_span_id"].to_list(), strict=True))
    assert found.get("repeated_action") == "3"  # the first repeat
    assert "orphan_failure" not in found


def test_same_command_retried_without_a_model_call_is_no_repeated_action(tmp_path: Path) -> None:
    # Near miss: the same three failures, no action carrying a model response (nothing says the
    # model decided again): retries, retry_storm's business, not a lost thread.
    path = tmp_path / "retried.json"
    path.write_text(json.dumps(_same_command_three_times(None, thoughts=("", "", ""), issued=False)))
    findings, _ = forensics.classify(forensics.load(path).spans).to_polars()
    assert "repeated_action" not in findings["detector"].to_list()


def test_each_action_carrying_its_own_response_is_the_models_repeat(tmp_path: Path) -> None:
    # Each action carries the response that issued it (tool_call_metadata.model_response, here
    # without usage): the model decided again each time, a repeat (repeated_action), no retry storm.
    path = tmp_path / "decided.json"
    path.write_text(json.dumps(_same_command_three_times(None, thoughts=("", "", ""), usage=False)))
    found = forensics.classify(forensics.load(path).spans).to_polars()[0]["detector"].to_list()
    assert "repeated_action" in found and "retry_storm" not in found


def test_state_change_after_finish_is_no_empty_answer(tmp_path: Path) -> None:
    # A clean session: the install works, the agent finishes (task_completed "true"), and the
    # controller then writes agent_state_changed to finished with content '' as a root of its own.
    # That says nothing (no output), so it is not read as an empty final answer (undelivered_output
    # fired on every clean OpenHands run that finished with no error before this).
    events = _failed_install_then_finish("The connector package is upgraded to 4.2 and the tests pass.")
    events[2]["extras"]["metadata"]["exit_code"] = 0
    events[2]["message"] = "Command `pip install` executed with exit code 0."
    events[2]["content"] = "Successfully installed connectors-4.2.0"
    events[3]["args"]["task_completed"] = "true"
    path = tmp_path / "clean.json"
    path.write_text(json.dumps(events))
    loaded = forensics.load(path)
    rows = _rows(loaded)
    assert rows["4"]["output"] is None and rows["4"]["name"] == "agent_state_changed"
    assert rows["1"]["output"] == "Successfully installed connectors-4.2.0"  # a real observation keeps its text
    findings, runs = forensics.classify(loaded.spans).to_polars()
    assert runs["reported_outcome"].to_list() == ["success"]
    assert findings.height == 0


def _rm_session(*, confirmed: bool) -> list[dict]:
    """A confirmation-mode session (OpenHands event serialization): the agent proposes `rm -rf`, the
    controller holds it (args.confirmation_state awaiting_confirmation, state
    awaiting_user_confirmation); with ``confirmed`` the user confirms and the controller adds the
    action again under a new id (confirmation_state confirmed), which the observation answers."""
    def rm(i: int, state: str, at: str) -> dict:
        return {"id": i, "timestamp": at, "source": "agent", "message": "Running command: rm -rf build/", "action": "run",
                "args": {"command": "rm -rf build/", "is_input": False, "thought": "", "confirmation_state": state},
                "tool_call_metadata": {"function_name": "execute_bash", "tool_call_id": "t1", "model_response": {"id": "r1"}}}

    def state(i: int, value: str, at: str) -> dict:
        return {"id": i, "timestamp": at, "source": "environment", "message": "", "observation": "agent_state_changed",
                "content": "", "extras": {"agent_state": value, "reason": ""}}

    events = [
        {"id": 0, "timestamp": "2026-12-01T09:00:00", "source": "user", "message": "Clear the build dir.",
         "action": "message", "args": {"content": "Clear the build dir.", "image_urls": None, "wait_for_response": False}},
        rm(1, "awaiting_confirmation", "2026-12-01T09:00:05"), state(2, "awaiting_user_confirmation", "2026-12-01T09:00:05"),
    ]
    if confirmed:
        events += [
            {"id": 3, "timestamp": "2026-12-01T09:00:30", "source": "user", "message": "", "action": "change_agent_state",
             "args": {"agent_state": "user_confirmed", "thought": ""}},
            state(4, "user_confirmed", "2026-12-01T09:00:30"), rm(5, "confirmed", "2026-12-01T09:00:31"),
            {"id": 6, "timestamp": "2026-12-01T09:00:32", "source": "agent", "cause": 5, "observation": "run",
             "message": "Command `rm -rf build/` executed with exit code 0.", "content": "",
             "extras": {"command": "rm -rf build/", "metadata": {"exit_code": 0}}},
            {"id": 7, "timestamp": "2026-12-01T09:00:40", "source": "agent", "message": "Removed build/ after your confirmation.",
             "action": "finish", "args": {"final_thought": "Removed build/ after your confirmation.", "task_completed": "true"}},
            state(8, "finished", "2026-12-01T09:00:41"),
        ]
    return events


def test_action_awaiting_confirmation_is_a_proposal(tmp_path: Path) -> None:
    path = tmp_path / "confirmed.json"
    path.write_text(json.dumps(_rm_session(confirmed=True)))
    loaded = forensics.load(path)
    rows = _rows(loaded)
    # The held copy never runs: an instant event, not a call still waiting for its result.
    assert (rows["1"]["kind"], rows["1"]["status"]) == ("event", "ok")
    assert rows["1"]["end_time"] == rows["1"]["start_time"]
    # The re-emitted copy is the call: closed by its observation.
    assert (rows["5"]["kind"], rows["5"]["tool"], rows["5"]["status"]) == ("tool", "execute_bash", "ok")
    findings, runs = forensics.classify(loaded.spans).to_polars()
    assert runs["reported_outcome"].to_list() == ["success"]
    assert findings.height == 0


def test_confirmed_action_with_no_observation_stays_open(tmp_path: Path) -> None:
    # Near miss: the confirmed copy is a real call; with no observation it is still open.
    events = _rm_session(confirmed=True)
    events = [e for e in events if e.get("cause") != 5]
    path = tmp_path / "unanswered.json"
    path.write_text(json.dumps(events))
    rows = _rows(forensics.load(path))
    assert (rows["5"]["kind"], rows["5"]["status"], rows["5"]["end_time"]) == ("tool", "unset", None)


def _eval_line(history: list[dict]) -> dict:
    """An evaluation output line (evaluation/benchmarks/swe_bench run_infer's EvalOutput): the
    instance's events under `history`, the benchmark's verdict under `report`."""
    return {"instance_id": "demo__demo-7", "instruction": "Fix it", "metadata": {"agent_class": "CodeActAgent"},
            "history": history, "metrics": {"accumulated_cost": 0.1}, "error": None,
            "test_result": {"git_patch": "diff"}, "report": {"resolved": True}}


def test_evaluation_line_run_span_has_ended(tmp_path: Path) -> None:
    # The line is written once the run is over: its run span covers its events, first to last.
    path = tmp_path / "output.jsonl"
    path.write_text(json.dumps(_eval_line(_rm_session(confirmed=True))) + "\n")
    loaded = forensics.load(path)
    root = {r["span_id"]: r for r in loaded.spans.to_pylist()}["run"]
    assert root["start_time"].isoformat() == "2026-12-01T09:00:00+00:00"
    assert root["end_time"].isoformat() == "2026-12-01T09:00:41+00:00"
    findings, _ = forensics.classify(loaded.spans).to_polars()
    assert "stall" not in findings["detector"].to_list()


def test_evaluation_line_with_no_timed_events_has_no_times(tmp_path: Path) -> None:
    # Near miss: no event carries a time, so nothing says when the run span began or ended.
    history = [{k: v for k, v in e.items() if k != "timestamp"} for e in _rm_session(confirmed=True)]
    path = tmp_path / "output.jsonl"
    path.write_text(json.dumps(_eval_line(history)) + "\n")
    root = {r["span_id"]: r for r in forensics.load(path).spans.to_pylist()}["run"]
    assert (root["start_time"], root["end_time"]) == (None, None)


def _edit_missed(last_state: str) -> list[dict]:
    """A trajectory (OpenHands event serialization) whose str_replace is refused (ErrorObservation
    'No replacement was performed ...'), after which the agent finishes claiming the change, and the
    controller's last state is ``last_state``."""
    return [
        {"id": 0, "timestamp": "2026-12-01T11:00:00", "source": "user", "message": "Set retries to 5 in conf.ini.",
         "action": "message", "args": {"content": "Set retries to 5 in conf.ini.", "image_urls": None, "wait_for_response": False}},
        {"id": 1, "timestamp": "2026-12-01T11:00:04", "source": "agent", "message": "", "action": "edit",
         "args": {"path": "/workspace/conf.ini", "command": "str_replace", "old_str": "retries=3", "new_str": "retries=5",
                  "thought": ""},
         "tool_call_metadata": {"function_name": "str_replace_editor", "tool_call_id": "e1", "model_response": {"id": "r1"}}},
        {"id": 2, "timestamp": "2026-12-01T11:00:05", "source": "agent", "cause": 1, "observation": "error", "message": "",
         "content": "ERROR:\nNo replacement was performed, old_str `retries=3` did not appear verbatim in /workspace/conf.ini.",
         "extras": {"error_id": ""}},
        {"id": 3, "timestamp": "2026-12-01T11:00:09", "source": "agent", "message": "", "action": "finish",
         "args": {"final_thought": "Retries are now set to 5 in conf.ini.", "task_completed": "true", "outputs": {}, "thought": ""},
         "tool_call_metadata": {"function_name": "finish", "tool_call_id": "f1", "model_response": {"id": "r2"}}},
        {"id": 4, "timestamp": "2026-12-01T11:00:10", "source": "environment", "message": "", "observation": "agent_state_changed",
         "content": "", "extras": {"agent_state": last_state, "reason": ""}},
    ]


def test_failed_action_is_not_the_runs_report(tmp_path: Path) -> None:
    # The events hang under the run span; the run's report is the agent's last word (finished), not
    # the refused edit, so the claim after the refused edit is read as a success over an error.
    path = tmp_path / "claimed.json"
    path.write_text(json.dumps(_edit_missed("finished")))
    loaded = forensics.load(path)
    rows = _rows(loaded)
    assert {rows[k]["parent_id"] for k in ("0", "1", "3", "4")} == {"run"}
    assert (rows["run"]["status"], rows["run"]["end_time"].isoformat()) == ("ok", "2026-12-01T11:00:10+00:00")
    findings, runs = forensics.classify(loaded.spans).to_polars()
    assert runs["reported_outcome"].to_list() == ["success"]
    assert "swallowed_error" in findings["detector"].to_list()


def test_run_stopped_by_the_controller_reports_an_error(tmp_path: Path) -> None:
    # Near miss: the controller's last state is error: the run reported its failure, and nothing
    # was swallowed. A stream that stops while the agent is running never ended.
    path = tmp_path / "stopped.json"
    path.write_text(json.dumps(_edit_missed("error")))
    loaded = forensics.load(path)
    assert _rows(loaded)["run"]["status"] == "error"
    findings, runs = forensics.classify(loaded.spans).to_polars()
    assert runs["reported_outcome"].to_list() == ["error"]
    assert "swallowed_error" not in findings["detector"].to_list()
    path = tmp_path / "running.json"
    path.write_text(json.dumps(_edit_missed("running")[:3]))
    assert _rows(forensics.load(path))["run"]["end_time"] is None


def _delegated(browsed: bool) -> list[dict]:
    """A trajectory whose agent delegates a lookup (AgentDelegateAction to BrowsingAgent); the
    delegate's controller announces loading and running (AgentStateChangedObservation, source agent);
    with ``browsed`` the delegate then browses (a browse action answered by its observation)."""
    def state(i: int, value: str) -> dict:
        return {"id": i, "timestamp": f"2026-12-01T12:00:0{i}", "source": "agent", "message": "",
                "observation": "agent_state_changed", "content": "", "extras": {"agent_state": value, "reason": ""}}

    events = [
        {"id": 0, "timestamp": "2026-12-01T12:00:00", "source": "user", "message": "Find the release date.",
         "action": "message", "args": {"content": "Find the release date.", "image_urls": None, "wait_for_response": False}},
        {"id": 1, "timestamp": "2026-12-01T12:00:01", "source": "agent", "message": "", "action": "delegate",
         "args": {"agent": "BrowsingAgent", "inputs": {"task": "Find the release date."}, "thought": ""}},
        state(2, "loading"), state(3, "running"),
    ]
    if browsed:
        events += [
            {"id": 4, "timestamp": "2026-12-01T12:00:04", "source": "agent", "message": "", "action": "browse",
             "args": {"url": "https://example.org/changelog", "thought": ""}},
            {"id": 5, "timestamp": "2026-12-01T12:00:05", "source": "agent", "cause": 4, "observation": "browse",
             "message": "", "content": "v2.1 released 2024-03-02", "extras": {"url": "https://example.org/changelog"}},
        ]
    return events


def test_delegate_controller_states_are_not_the_delegate_at_work(tmp_path: Path) -> None:
    path = tmp_path / "limbo.json"
    path.write_text(json.dumps(_delegated(browsed=False)))
    loaded = forensics.load(path)
    rows = _rows(loaded)
    assert (rows["2"]["agent"], rows["3"]["agent"]) == (None, None)
    findings, _ = forensics.classify(loaded.spans).to_polars()
    found = dict(zip(findings["detector"].to_list(), findings["decisive_span_id"].to_list(), strict=True))
    assert found.get("dangling_handoff") == "1"


def test_delegate_that_browses_took_the_work_up(tmp_path: Path) -> None:
    # Near miss: the delegate's own action is its work: no dangling handoff.
    path = tmp_path / "browsed.json"
    path.write_text(json.dumps(_delegated(browsed=True)))
    loaded = forensics.load(path)
    assert _rows(loaded)["4"]["agent"] == "BrowsingAgent"
    findings, _ = forensics.classify(loaded.spans).to_polars()
    assert "dangling_handoff" not in findings["detector"].to_list()


def test_same_command_failing_differently_each_time_is_no_repeated_action(tmp_path: Path) -> None:
    # The agent reruns the same command, decided anew each time, and each run fails on a different
    # error (it fixes one between runs): each failure told it something new, no lost thread.
    events = _same_command_three_times(None, thoughts=("Run it.", "Again after the fix.", "Once more."))
    for i, event in enumerate(e for e in events if e.get("observation") == "run"):
        event["content"] = f'sqlalchemy.exc.ProgrammingError: column "c{i}" does not exist'
    path = tmp_path / "progress.json"
    path.write_text(json.dumps(events))
    findings, _ = forensics.classify(forensics.load(path).spans).to_polars()
    assert "repeated_action" not in findings["detector"].to_list()
    # Near miss: the same three failures, the same text each time: the repeats brought nothing new.
    path = tmp_path / "same.json"
    path.write_text(json.dumps(_same_command_three_times(None, thoughts=("Run it.", "Again.", "Once more."))))
    findings, _ = forensics.classify(forensics.load(path).spans).to_polars()
    assert "repeated_action" in findings["detector"].to_list()


def _push_session(*, confirmed: bool) -> list[dict]:
    """_rm_session with an irreversible command (a force push: forensics/detectors/shell_commands.py)
    the user did not name."""
    text = json.dumps(_rm_session(confirmed=confirmed)).replace("rm -rf build/", "git push --force origin main")
    events: list[dict] = json.loads(text.replace("Clear the build dir.", "Publish my changes."))
    return events


def _classes(tmp_path: Path, events: list[dict]) -> list[tuple[str, str]]:
    path = tmp_path / "session.json"
    path.write_text(json.dumps(events))
    findings, _ = forensics.classify(forensics.load(path).spans).to_polars()
    return sorted(zip(findings["detector"].to_list(), findings["decisive_span_id"].to_list(), strict=True))


def test_the_users_confirmation_action_approves_the_held_command(tmp_path: Path) -> None:
    # The user's ChangeAgentStateAction(user_confirmed) (openhands/events/action/agent.py) is the person's
    # answer; a log without the controller's AgentStateChangedObservation still holds it. Was
    # unguarded_irreversible at the confirmed copy (event 5).
    events = [e for e in _push_session(confirmed=True) if e["id"] != 4]
    assert _classes(tmp_path, events) == []
    rows = _rows(forensics.load(tmp_path / "session.json"))
    assert json.loads(rows["3"]["attributes"])["agent_state"] == "user_confirmed"


def test_near_miss_confirmation_mode_off_approves_nothing(tmp_path: Path) -> None:
    # confirmation_state "confirmed" is every action's default (CmdRunAction, openhands/events/action/
    # commands.py): with confirmation mode off no copy is held and nobody answered.
    events = [e for e in _push_session(confirmed=True) if e["id"] not in (1, 2, 3, 4)]
    assert [e["args"]["confirmation_state"] for e in events if e.get("action") == "run"] == ["confirmed"]
    assert _classes(tmp_path, events) == [("unguarded_irreversible", "5")]


def test_a_rejected_copy_never_ran(tmp_path: Path) -> None:
    # On user_rejected the controller re-emits the action with confirmation_state "rejected" and the
    # runtime answers it with UserRejectObservation without running it (openhands/runtime/impl/
    # action_execution/action_execution_client.py). Was a tool call that ran, with the rejection as its result.
    events = json.loads(json.dumps(_push_session(confirmed=True)).replace("user_confirmed", "user_rejected"))
    events = [e for e in events if e["id"] not in (7, 8)]
    events[5]["args"]["confirmation_state"] = "rejected"
    events[6].update({"observation": "user_rejected", "extras": {},
                      "content": "Action has been rejected by the user! Waiting for further user input."})
    path = tmp_path / "rejected.json"
    path.write_text(json.dumps(events))
    loaded = forensics.load(path)
    rows = _rows(loaded)
    assert (rows["5"]["kind"], rows["5"]["tool"], rows["5"]["end_time"]) == ("event", None, rows["5"]["start_time"])
    assert (rows["6"]["kind"], rows["6"]["parent_id"]) == ("event", "5")
    assert not [r for r in rows.values() if r["kind"] == "tool"]


def test_the_users_confirmation_is_a_persons_step(tmp_path: Path) -> None:
    # The user's ChangeAgentStateAction to user_confirmed / user_rejected (source user;
    # openhands/core/schema/agent.py AgentState.USER_CONFIRMED / USER_REJECTED) is the person acting on
    # the held action: a human step, with the state it asks for kept. Was an event.
    for answer in ("user_confirmed", "user_rejected"):
        events = json.loads(json.dumps(_rm_session(confirmed=True)).replace("user_confirmed", answer))
        path = tmp_path / f"{answer}.json"
        path.write_text(json.dumps(events))
        rows = _rows(forensics.load(path))
        assert (rows["3"]["kind"], rows["3"]["agent"]) == ("human", None)
        assert json.loads(rows["3"]["attributes"])["agent_state"] == answer
        # The controller's observation of the same state is no one's step: still an event.
        assert rows["4"]["kind"] == "event"


def test_near_miss_a_state_change_not_answering_stays_an_event(tmp_path: Path) -> None:
    # A user's ChangeAgentStateAction that answers nothing held (a pause, a stop: AgentState.PAUSED /
    # STOPPED, the UI's pause button) is a control event, as before.
    events = json.loads(json.dumps(_rm_session(confirmed=True)).replace('"agent_state": "user_confirmed", "thought"',
                                                                         '"agent_state": "paused", "thought"'))
    path = tmp_path / "paused.json"
    path.write_text(json.dumps(events))
    rows = _rows(forensics.load(path))
    assert rows["3"]["kind"] == "event"
