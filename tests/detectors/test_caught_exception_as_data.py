"""error_as_data: a tool wrapper that caught the client's exception and returned it beside an empty result.

A tool function traced with MLflow (``@mlflow.trace``: mlflow/tracing/fluent.py records the
function's return value as the span's outputs, ``mlflow.spanOutputs``, and the span OK since nothing
was raised) written as ``try: rows = client.query(sql, timeout_s=30) except Exception as e: return
{"rows": [], "error": f"{type(e).__name__}: {e}"}``: after an SDK upgrade dropped ``timeout_s`` the
call raised ``TypeError: query() got an unexpected keyword argument 'timeout_s'`` and the tool
returned no rows with the error after them. ERROR_SHAPED reads an error key only first in the
result; here the empty result comes first (``forensics/detectors/returned_errors.py``
``CAUGHT_EXCEPTION``). The agent read the empty rows as "nothing waiting".

Near misses: ``"error": null`` beside the empty rows (a query that found nothing); the answer told
the user the query failed; a record's own ``error`` field inside the rows (data); a read tool's
result (a job's record fetched by ``get_``).
"""

from __future__ import annotations

import json

from span_builder import findings, run, span

CAUGHT = "TypeError: ClaimsWarehouse.query() got an unexpected keyword argument 'timeout_s'"
SQL = json.dumps({"sql": "select claim_id from claims where status = 'open'", "timeout_s": 30})
NOTHING = "No open auto claims are waiting on an estimate: nothing needs chasing."


def _run(output: str, answer: str = NOTHING, tool: str = "run_claims_sql") -> list[dict[str, object]]:
    return [
        span("root", 0, 10, kind="agent", name="claims_agent", agent="claims_agent", input="Which claims need chasing?",
             output=answer),
        span("l1", 1, 2, parent_id="root", kind="llm", model="gpt-4o", agent="claims_agent",
             output=json.dumps({"tool_calls": [{"name": tool}]})),
        span("t1", 2, 3, parent_id="root", kind="tool", tool=tool, agent="claims_agent", input=SQL, output=output),
        span("l2", 3, 5, parent_id="root", kind="llm", model="gpt-4o", agent="claims_agent", output=answer),
    ]


def _error_as_data(rows: list[dict[str, object]]) -> list[str]:
    return [f["decisive_span_id"] for f in findings(run(*rows), "error_as_data")]


def test_an_exception_returned_after_the_empty_rows_is_error_as_data() -> None:
    for output in (
        {"rows": [], "error": CAUGHT, "warehouse_client": "claims-dw-sdk 4.0.1"},
        {"rows": [], "count": 0, "error": "builtins.TypeError(\"query() got an unexpected keyword argument 'timeout_s'\")"},
    ):
        assert _error_as_data(_run(json.dumps(output))) == ["t1"], output
    # As a Python dict's repr (a tool whose result a tracer recorded with str()).
    assert _error_as_data(_run(str({"rows": [], "error": CAUGHT}))) == ["t1"]


def test_near_miss_no_error_or_the_failure_told() -> None:
    assert _error_as_data(_run(json.dumps({"rows": [], "error": None}))) == []
    told = "I could not check the claims: the claims query failed with a TypeError (timeout_s); nothing was read."
    assert _error_as_data(_run(json.dumps({"rows": [], "error": CAUGHT}), answer=told)) == []


def test_near_miss_an_error_field_of_a_record_or_a_read() -> None:
    rows = {"rows": [{"claim_id": "CL-1", "error": "ValueError: estimate missing"}], "error": None}
    assert _error_as_data(_run(json.dumps(rows), answer="CL-1 needs chasing: its estimate is missing.")) == []
    job = {"job": "j_81", "state": "done", "error": "TimeoutError: retried once"}
    assert _error_as_data(_run(json.dumps(job), answer="Job j_81 is done.", tool="get_job")) == []
