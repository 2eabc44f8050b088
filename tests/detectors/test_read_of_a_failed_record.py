"""error_as_data and a read that returns a record's state: a job that failed is data, not a failed read.

A job API answers a status read with the job's state (Airflow's REST API ``GET /dags/{id}/dagRuns/
{run_id}`` -> ``{"state": "failed"}``; Databricks ``runs/get`` -> ``"result_state": "FAILED"``; a
tool ``get_job_status`` returning ``{"job_id": ..., "status": "failed"}``): the read answered the
question asked. TAXONOMY's error_as_data is a call whose own result says *it* failed; only a write's
own verdict (``submit_job`` -> ``{"status": "failed"}``: the job was not submitted) is that
(forensics/detectors/result_verdict.py ``record_state_read``).
"""

from __future__ import annotations

from span_builder import detectors, one, run, span

ROOT = {"kind": "agent", "name": "ops_agent"}


def _tool(sid: str, start: float, tool: str, args: str, output: str):
    return span(sid, start, start + 0.2, parent_id="root", kind="tool", tool=tool, input=args, output=output)


def _say(sid: str, start: float, text: str):
    return span(sid, start, start + 0.5, parent_id="root", kind="llm", model="gpt-4o", output=text)


FAILED_JOB = '{"job_id": "j_8812", "status": "failed", "finished_at": "2026-12-05T02:14:00Z"}'


def test_near_miss_a_status_read_of_a_failed_job_is_data() -> None:
    c = run(
        span("root", 0, 10, **ROOT, output="Job j_8812 stopped at 02:14 UTC and needs a re-run."),
        _tool("t1", 1, "get_job_status", '{"job_id": "j_8812"}', FAILED_JOB),
        _say("m1", 2, "Job j_8812 stopped at 02:14 UTC and needs a re-run."),
    )
    assert "error_as_data" not in detectors(c)


def test_a_write_whose_own_verdict_is_failed_still_fires() -> None:
    # The submission itself failed; the agent said it was submitted.
    c = run(
        span("root", 0, 10, **ROOT, output="The nightly export is running now."),
        _tool("t1", 1, "submit_job", '{"name": "nightly_export"}', '{"job_id": null, "status": "failed"}'),
        _say("m1", 2, "The nightly export is running now."),
    )
    assert one(c, "error_as_data")["decisive_span_id"] == "t1"


def test_a_read_whose_own_reply_is_an_error_still_fires() -> None:
    # The read itself failed (an error object beside the status): not a record's state.
    out = '{"status": "failed", "error": {"code": 503, "message": "scheduler unavailable"}}'
    c = run(
        span("root", 0, 10, **ROOT, output="The job is running fine."),
        _tool("t1", 1, "get_job_status", '{"job_id": "j_8812"}', out),
        _say("m1", 2, "The job is running fine."),
    )
    assert one(c, "error_as_data")["decisive_span_id"] == "t1"


def test_a_read_whose_reply_names_no_record_still_fires() -> None:
    # No identifier: the status is the read's own reply (the index could not be searched).
    out = '{"status": "failed", "reason": "index hr-policies-v3 is read-only: reindex in progress"}'
    c = run(
        span("root", 0, 10, **ROOT, output="There is no parental leave policy."),
        _tool("t1", 1, "get_policy", '{"topic": "parental leave"}', out),
        _say("m1", 2, "There is no parental leave policy."),
    )
    assert one(c, "error_as_data")["decisive_span_id"] == "t1"
