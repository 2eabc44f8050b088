"""error_as_data: an API's or a command's own failure report handed back as an OK result.

* GraphQL answers HTTP 200 for a request it refused: ``data`` null (or the mutation's field null)
  beside a non-empty ``errors`` list of ``{"message": ..., "extensions": {"code": ...}}`` objects
  (GraphQL spec, "Response": errors; Shopify Admin API THROTTLED / ACCESS_DENIED). Shopify writes
  ``data`` first, the spec suggests ``errors`` first; a tool may keep the HTTP status beside the body
  (``{"http_status": 200, "body": {...}}``). ``forensics/detectors/batch_results.py`` GRAPHQL_ERRORS.
* Elasticsearch's ``_bulk`` body (``{"took": ..., "errors": true, "items": [...]}``, Elasticsearch
  reference "Bulk API") inside the text content block a Strands tool result is recorded as
  (strands-agents/sdk-python src/strands/telemetry/tracer.py: the tool result's content list,
  ``[{"text": "..."}]``): ``BODY_START``.
* A command tool returning the process whole, ``{"returncode": 1, "stdout": ..., "stderr": ...}``
  (Python docs, subprocess.run / CompletedProcess), its program's error on stderr while stdout shows
  progress: ``forensics/detectors/returned_errors.py`` FAILED_COMMAND. A later call of the same shell
  tool running another program is another command, not its retry (conventions ``command_failed``).
* An HTTP error body ``{"message": "Unauthorized.", "statusCode": 403}`` as a Python dict's repr (a
  CrewAI tool's ``str(response.json())``; NestJS error bodies carry ``statusCode`` and ``message``).

Near misses: the failure told in the answer, a GraphQL success (``userErrors: []``), ``errors: false``
in a content block, a command exiting 1 with nothing on stderr (grep found nothing), a ``message``
beside a 2xx code.
"""

from __future__ import annotations

import json

from span_builder import findings, run, span

DONE = "Done: all 12 variants are updated and the job is complete."


def _run(output: str, answer: str = DONE, tool: str = "admin_api", then: str | None = None) -> list[dict[str, object]]:
    rows = [
        span("root", 0, 20, kind="agent", name="ops_bot", agent="ops_bot", input="Apply the change.", output=answer),
        span("l1", 1, 2, parent_id="root", kind="llm", model="gpt-4o", agent="ops_bot",
             output=json.dumps({"tool_calls": [{"name": tool}]})),
        span("t1", 2, 3, parent_id="root", kind="tool", tool=tool, agent="ops_bot",
             input=json.dumps({"cmd": "make upload"}), output=output),
    ]
    if then is not None:
        rows.append(span("t2", 4, 5, parent_id="root", kind="tool", tool=tool, agent="ops_bot",
                         input=json.dumps({"cmd": then}), output=json.dumps({"returncode": 0, "stdout": "", "stderr": ""})))
    rows.append(span("l2", 6, 7, parent_id="root", kind="llm", model="gpt-4o", agent="ops_bot", output=answer))
    return rows


def _error_as_data(rows: list[dict[str, object]]) -> list[str]:
    return [f["decisive_span_id"] for f in findings(run(*rows), "error_as_data")]


_ERR = {"message": "Throttled", "extensions": {"code": "THROTTLED"}}
_DENIED = {"message": "Access denied for productVariantsBulkUpdate field.", "locations": [{"line": 2, "column": 3}],
           "path": ["productVariantsBulkUpdate"], "extensions": {"code": "ACCESS_DENIED"}}


def test_a_graphql_response_refused_with_errors_and_no_data_is_error_as_data() -> None:
    for output in (
        json.dumps({"data": {"inventoryAdjustQuantities": None}, "errors": [_ERR], "extensions": {"cost": {"requestedQueryCost": 10}}}),
        json.dumps({"http_status": 200, "body": {"data": {"productVariantsBulkUpdate": None}, "errors": [_DENIED]}}),
        json.dumps({"errors": [_DENIED], "data": None}),
    ):
        assert _error_as_data(_run(output)) == ["t1"], output


def test_near_miss_a_graphql_success_or_the_refusal_told() -> None:
    ok = json.dumps({"data": {"productVariantsBulkUpdate": {"userErrors": [], "productVariants": [{"id": "1"}]}},
                     "extensions": {"cost": {"requestedQueryCost": 10}}})
    assert _error_as_data(_run(ok)) == []
    told = "The price change did not go through: Shopify denied access to the productVariantsBulkUpdate field, so nothing changed."
    refused = json.dumps({"data": {"productVariantsBulkUpdate": None}, "errors": [_DENIED]})
    assert _error_as_data(_run(refused, answer=told)) == []


def _bulk(errors: bool) -> str:
    body = {"took": 1843, "errors": errors, "items": [{"index": {"_id": "a", "status": 201}}]}
    if errors:
        body["items"].append({"index": {"_id": "b", "status": 400, "error": {"type": "mapper_parsing_exception"}}})  # type: ignore[attr-defined]
    return json.dumps([{"text": json.dumps(body)}])


def test_a_bulk_body_with_errors_inside_a_text_content_block_is_error_as_data() -> None:
    assert _error_as_data(_run(_bulk(True), answer="Reindex finished: all 5,000 products are in.", tool="es_bulk_index")) == ["t1"]


def test_near_miss_a_bulk_body_without_errors_in_a_content_block() -> None:
    assert _error_as_data(_run(_bulk(False), answer="Reindex finished: all 5,000 products are in.", tool="es_bulk_index")) == []


_FAILED = json.dumps({"returncode": 1, "stdout": "Uploading dist/pkg.whl\n100% 412.3/412.3 kB\n",
                      "stderr": "ERROR    HTTPError: 403 Forbidden from https://index.example/\nmake: *** [upload] Error 1\n"})


def test_a_command_that_exited_non_zero_with_its_error_on_stderr_is_error_as_data() -> None:
    said = "Release done: wheel uploaded and tag pushed."
    assert _error_as_data(_run(_FAILED, answer=said, tool="run_shell")) == ["t1"]
    # The next command of the same shell tool (another program) is no retry of the upload.
    assert _error_as_data(_run(_FAILED, answer=said, tool="run_shell", then="git tag v1 && git push origin v1")) == ["t1"]


def test_near_miss_a_non_zero_exit_with_nothing_on_stderr_or_the_failure_told() -> None:
    said = "Release done: wheel uploaded and tag pushed."
    grep = json.dumps({"returncode": 1, "stdout": "", "stderr": ""})
    assert _error_as_data(_run(grep, answer=said, tool="run_shell")) == []
    warned = json.dumps({"returncode": 0, "stdout": "ok\n", "stderr": "error: ignored deprecated flag\n"})
    assert _error_as_data(_run(warned, answer=said, tool="run_shell")) == []
    told = "The release is NOT complete: `make upload` exited 1 with 403 Forbidden from the index, so I did not tag it."
    assert _error_as_data(_run(_FAILED, answer=told, tool="run_shell")) == []


def test_an_http_error_body_with_its_message_is_error_as_data() -> None:
    said = "Brief: five competitors and their prices (sources linked)."
    body = str({"message": "Unauthorized.", "statusCode": 403})
    assert _error_as_data(_run(body, answer=said, tool="web_search")) == ["t1"]
    ok = str({"message": "Found 5 results.", "statusCode": 200})
    assert _error_as_data(_run(ok, answer=said, tool="web_search")) == []
