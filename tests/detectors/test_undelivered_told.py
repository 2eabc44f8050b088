"""A delivery that failed and that the run's answer reports is no silent failure.

smolagents CodeAgent (huggingface/smolagents ``src/smolagents/agents.py``): a tool that raises is an
error on its tool span (OpenInference smolagents ``_wrappers.py`` ``_ToolCallWrapper``), the agent
reads the error in its next step and may end with ``final_answer(...)`` saying what did not happen.
An export whose S3 upload failed with AccessDenied, answered "Partial: ... the S3 upload failed with
AccessDenied ... Not uploaded", told its reader: TAXONOMY's silent failure is a run that *reports
success* while the evidence says otherwise. The same failed upload answered "Export complete" is
still undelivered output.
"""

from __future__ import annotations

from span_builder import detectors, one, run, span


def _export(answer: str) -> list[dict[str, object]]:
    return [
        span("root", 0, 30, kind="agent", name="CodeAgent.run", agent="exporter", output=answer),
        span("l1", 1, 2, parent_id="root", kind="llm", model="gpt-4o-mini", agent="exporter",
             output='uri = s3_upload(local_path="/tmp/ledger.parquet", s3_uri="s3://fin/ledger.parquet")'),
        span("u1", 3, 4, parent_id="root", kind="tool", tool="s3_upload", agent="exporter",
             input='{"local_path": "/tmp/ledger.parquet", "s3_uri": "s3://fin/ledger.parquet"}',
             status="error", error_type="AgentToolExecutionError",
             error_message="An error occurred (AccessDenied) when calling the PutObject operation: Access Denied"),
        span("l2", 5, 6, parent_id="root", kind="llm", model="gpt-4o-mini", agent="exporter", output=f'final_answer("{answer}")'),
    ]


def test_near_miss_the_failed_upload_is_reported_in_the_answer() -> None:
    c = run(*_export("Partial: exported the ledger, but the S3 upload failed with AccessDenied. Not uploaded; "
                     "fix the IAM policy and re-run the upload step."))
    assert "undelivered_output" not in detectors(c)


def test_the_failed_upload_passed_off_as_done_is_undelivered() -> None:
    f = one(run(*_export("Export complete: the ledger is in s3://fin/ledger.parquet.")), "undelivered_output")
    assert f["decisive_span_id"] == "u1"
