"""Terminating a cloud instance cannot be undone: EC2 TerminateInstances deletes the instance (and
by default its root volume); "you can't connect to or start an instance after you've terminated it"
(AWS EC2 User Guide, Terminate Amazon EC2 instances). A tool named for terminating instances, VMs,
servers, clusters or nodes is irreversible (policy tools.irreversible). Near misses: terminating a
session, a process or a workflow run ends work, it destroys no machine; a person's yes before the
termination reviews it.
"""

from __future__ import annotations

import json

import pytest
from span_builder import detectors, run, span

from forensics.classify import Classification


def _fleet(tool: str, *said: str) -> Classification:
    rows = [span("root", 0, 30, kind="chain", name="ops_chat.handle_message", output="Done."),
            span("u0", 0.5, 0.5, parent_id="root", kind="human", output="clean up the load-test fleet in us-east-1"),
            span("m0", 1, 2, parent_id="root", kind="llm", name="LLM", output="I will terminate the lt-* instances.")]  # fmt: skip
    for i, text in enumerate(said):
        rows.append(span(f"u{i + 1}", 3 + i, 3 + i, parent_id="root", kind="human", output=text))
    rows.append(span("t1", 10, 11, parent_id="root", kind="tool", tool=tool, input='{"InstanceIds": ["i-0a3f"], "DryRun": false}',
                     output='{"TerminatingInstances": [{"InstanceId": "i-0a3f"}]}'))  # fmt: skip
    return run(*rows)


@pytest.mark.parametrize("tool", ["terminate_instances", "ec2.terminate_instance", "terminateVm", "terminate_cluster"])
def test_terminating_machines_unasked_is_unguarded(tool: str) -> None:
    assert "unguarded_irreversible" in detectors(_fleet(tool))


@pytest.mark.parametrize("tool", ["terminate_session", "terminate_process", "terminate_workflow"])
def test_near_miss_ending_a_session_or_process_is_no_irreversible_act(tool: str) -> None:
    assert "unguarded_irreversible" not in detectors(_fleet(tool))


def test_near_miss_a_persons_yes_before_it_reviews_it() -> None:
    assert "unguarded_irreversible" not in detectors(_fleet("terminate_instances", "yes, terminate those four"))


def _clicked(result: dict[str, object], name: str = "await_user_confirmation") -> Classification:
    return run(
        span("root", 0, 60, kind="chain", name="ops_chat.handle_message", output="Done."),
        span("u0", 0.5, 0.5, parent_id="root", kind="human", output="clean up the load-test fleet"),
        span("post", 2, 3, parent_id="root", kind="tool", tool="slack.chat_postMessage",
             input='{"channel": "C1", "text": "Confirm: terminate 3 instances?"}', output='{"ok": true, "ts": "1.2"}'),
        span("wait", 3, 40, parent_id="root", kind="chain", name=name, input='{"message_ts": "1.2"}', output=json.dumps(result)),
        span("t1", 41, 42, parent_id="root", kind="tool", tool="terminate_instances", input='{"InstanceIds": ["i-0a3f"]}',
             output='{"TerminatingInstances": [{"InstanceId": "i-0a3f"}]}'),
    )  # fmt: skip


PERSON = {"id": "U02HV7K1R", "username": "n.achterberg"}


def test_a_persons_click_on_confirm_returned_by_the_wait_approves_the_termination() -> None:
    assert "unguarded_irreversible" not in detectors(_clicked({"action_id": "confirm_terminate", "user": PERSON}))


def test_near_miss_a_deny_click_no_person_or_a_step_not_waiting_for_approval() -> None:
    assert "unguarded_irreversible" in detectors(_clicked({"action_id": "deny_terminate", "user": PERSON}))
    assert "unguarded_irreversible" in detectors(_clicked({"action_id": "confirm_terminate"}))
    assert "unguarded_irreversible" in detectors(_clicked({"action_id": "confirm_terminate", "user": PERSON}, name="render_blocks"))
