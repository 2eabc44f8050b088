"""A log that stops inside a call that never returned: the run never ended (stall), it did not
report success. A transcript (Claude Code) has no span around the run: its roots are its first
messages, so an open tool_use at the very end is the run still running when the log stops."""

from __future__ import annotations

from span_builder import detectors, one, run, span


def _transcript(*tail: dict[str, object]) -> list[dict[str, object]]:
    return [
        span("u1", 0, 0, kind="human", output="Run the nightly export and tell me when it's done."),
        span("a1", 2, 2, parent_id="u1", kind="llm", model="claude-sonnet-4", output="Starting the export."),
        span("t1", 3, None, parent_id="a1", kind="tool", tool="Bash", input='{"command": "./export.sh --all"}'),
        *tail,
    ]


def test_a_transcript_ending_on_an_open_call_stalled() -> None:
    found = detectors(run(*_transcript()))
    assert "stall" in found
    assert "premature_success" not in found


def test_near_miss_the_transcript_went_on_after_the_open_call() -> None:
    # A later message: the session did not stop inside that call.
    later = span("a2", 9, 9, parent_id="a1", kind="llm", model="claude-sonnet-4", output="Export started in the background.")
    assert "stall" not in detectors(run(*_transcript(later)))


def test_near_miss_a_root_that_ended_around_an_open_child_is_premature_success() -> None:
    # A tree: the run's span ended OK after the call started, with the call still open.
    c = run(
        span("root", 0, 10, kind="agent", name="exporter", output="Export done."),
        span("l1", 1, 2, parent_id="root", kind="llm", model="gpt-4o"),
        span("t1", 3, None, parent_id="root", kind="tool", tool="run_export", input='{"all": true}'),
    )
    found = detectors(c)
    assert "premature_success" in found
    assert "stall" not in found


def _killed_mid_push(*tail: dict[str, object]) -> list[dict[str, object]]:
    # Claude Code: the assistant message after a tool_result has that tool_result record as its
    # parentUuid, which is no span (merged into the call it answers), so the message is a root;
    # its tool_use block starts with it and the loader lists the call before the message.
    return [
        span("u1", 0, 0, kind="human", output="commit the search feature and push it"),
        span("t0", 2, 3, parent_id="a0", kind="tool", tool="Bash", input='{"command": "git commit -m x"}'),
        span("a0", 2, 2, parent_id="u1", kind="llm", model="claude-sonnet-4"),
        span("t1", 5, None, parent_id="a1", kind="tool", tool="Bash", input='{"command": "git push -u origin feat"}'),
        span("a1", 5, 5, parent_id="result-of-t0", kind="llm", model="claude-sonnet-4", output="Committed. Now pushing."),
        *tail,
    ]


def test_a_session_killed_inside_a_call_its_root_message_issued_at_the_same_instant_stalled() -> None:
    c = run(*_killed_mid_push())
    assert one(c, "stall")["decisive_span_id"] == "t1"
    assert "premature_success" not in detectors(c)


def test_near_miss_the_session_answered_after_the_call_it_left_open() -> None:
    later = span("a2", 9, 9, parent_id="result-of-t1", kind="llm", model="claude-sonnet-4", output="Pushed.")
    c = run(*_killed_mid_push(later))
    assert "stall" not in detectors(c)


def _trace_ending_before_its_open_call() -> list[dict[str, object]]:
    # A Langfuse trace has no end of its own: its end is the latest end its observations recorded,
    # so a page update that never ended started after it. The trace's output says it published.
    return [
        span("root", 0, 8, kind="chain", name="weekly_digest", output="Weekly digest published to Confluence."),
        span("l1", 1, 4, parent_id="root", kind="llm", model="gpt-4o", output="<page body>"),
        span("pub", 5, None, parent_id="root", kind="chain", name="publish_confluence"),
        span("up", 6, 8, parent_id="pub", kind="tool", tool="confluence.upload_attachment", input='{"file": "d.pdf"}'),
        span("page", 8.5, None, parent_id="pub", kind="tool", tool="confluence.update_page", input='{"id": 42}'),
    ]  # fmt: skip


def test_a_trace_that_reported_success_around_a_call_started_after_its_end_is_premature_success() -> None:
    c = run(*_trace_ending_before_its_open_call())
    assert "stall" not in detectors(c)
    # The call that never returned is decisive, not the publish step left open around it.
    assert one(c, "premature_success")["decisive_span_id"] == "page"


def test_near_miss_a_conversation_root_that_said_nothing_stops_inside_its_call() -> None:
    # A chat transcript's root is the conversation the loader makes to span its messages: it has
    # no output, so it told nothing of how the run came out. Its last message issued a call that
    # never returned: the log stops inside the call, the run never ended (stall), no success.
    c = run(
        span("conversation", 0, 8, kind="agent", name="conversation"),
        span("m1", 1, 1, parent_id="conversation", kind="llm", model="gpt-4o", output="Looking up carriers."),
        span("c1", 1, 3, parent_id="m1", kind="tool", tool="find_carriers", input='{"lane": "PHX-DAL"}'),
        span("m2", 8, 8, parent_id="conversation", kind="llm", model="gpt-4o"),
        span("c2", 8, None, parent_id="m2", kind="tool", tool="tender_load", input='{"carrier": "MC-1"}'),
    )  # fmt: skip
    assert "premature_success" not in detectors(c)
    assert "stall" in detectors(c)
