"""A bulk or batch call answered OK with items failed inside, and a run that reported the whole batch.

Two real shapes. Semantic Kernel (Python) records a kernel function as an ``execute_tool
<plugin-fn>`` span (``gen_ai.operation.name`` execute_tool, ``gen_ai.tool.name``,
``gen_ai.tool.call.arguments`` / ``.result``: microsoft/semantic-kernel
``python/semantic_kernel/functions/kernel_function.py``) and the model's answer as the
``gen_ai.content.completion`` event of a ``chat.completions <model>`` span
(``python/semantic_kernel/utils/telemetry/model_diagnostics/decorators.py``); the function returns a
batch API's reply with a summary (``{"succeeded": 3, "failed": 1}``). Langfuse v2's ``@observe()``
records a Python function as a SPAN observation whose output is its return value
(langfuse/langfuse-python v2 ``langfuse/decorators/langfuse_decorator.py``): here an Elasticsearch
``_bulk`` body, ``{"took": .., "errors": true, "items": [...]}`` with the failed item's ``status`` and
``error`` (Elasticsearch reference, "Bulk API", response body).

Fires: the answer states the batch's whole size and not the split, a fault word about something
else ("outage") in it; the ES body's ``errors: true`` under an answer that says all were indexed.
Near misses: the answer gives the split; ``errors: false``.

Two more on the Semantic Kernel shape. A GraphQL mutation's payload lists the input it refused in
``userErrors`` beside what it did: Shopify Admin API ``productVariantsBulkUpdate(productId,
variants)`` returns ``{"productVariants": [...], "userErrors": [{"field": [...], "message": ...,
"code": ...}]}`` (shopify.dev, Admin GraphQL API, ProductVariantsBulkUpdatePayload; ``userErrors`` is
empty when every variant went through). A tool that returns the ``_bulk`` reply summarised keeps its
first keys, ``took`` then ``errors``, and lists only the failed items under a key of its own. Fires:
failed items under an answer that says all were done. Near misses: ``userErrors`` empty, ``errors``
false, an answer that gives the refused variant.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
from otlp_trace import BASE_NS, attr, classify_otlp, otlp_span

import forensics

AGENT, TOOL, CHAT = "a000000000000001", "b000000000000001", "c000000000000001"
RESULT = {"http_status": 200, "batch_id": "bat_19", "results": [
    {"invoice": "INV-1", "status": "credited"}, {"invoice": "INV-2", "status": "credited"},
    {"invoice": "INV-3", "status": "credited"}, {"invoice": "INV-4", "status": "failed", "error": "invoice_locked"},
], "summary": {"succeeded": 3, "failed": 1}}  # fmt: skip


def _sk_findings(
    tmp_path: Path, answer: str, tool: str = "Billing-apply_credit_bulk", args: Any = None, result: Any = RESULT
) -> pl.DataFrame:
    args = {"invoice_ids": ["INV-1", "INV-2", "INV-3", "INV-4"]} if args is None else args
    completion = {"timeUnixNano": str(BASE_NS + 3000 * 1_000_000), "name": "gen_ai.content.completion",
                  "attributes": [attr("gen_ai.completion", json.dumps([{"role": "assistant", "content": answer}]))]}  # fmt: skip
    chat = otlp_span(CHAT, AGENT, "chat.completions gpt-4o", 2500, 3000, {
        "gen_ai.operation.name": "chat.completions", "gen_ai.system": "openai", "gen_ai.request.model": "gpt-4o"})  # fmt: skip
    chat["events"] = [completion]
    spans = [
        otlp_span(AGENT, "", "invoke_agent CollectionsAgent", 0, 3100,
                  {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "CollectionsAgent"}),
        otlp_span(TOOL, AGENT, f"execute_tool {tool}", 1000, 2000, {
            "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": tool,
            "gen_ai.tool.call.id": "call_1", "gen_ai.tool.call.arguments": json.dumps(args),
            "gen_ai.tool.call.result": json.dumps(result)}),
        chat,
    ]  # fmt: skip
    return classify_otlp(spans, tmp_path / "sk.json", scope="semantic_kernel.functions.kernel_function")


def test_a_batch_with_a_failed_item_reported_as_all_done_is_error_as_data(tmp_path: Path) -> None:
    f = _sk_findings(tmp_path, "All 4 invoices from the outage list now carry the SLA credit.")
    hit = f.filter(pl.col("detector") == "error_as_data")
    assert hit["decisive_span_id"].to_list() == [TOOL]
    assert hit["failure_class"].to_list() == ["silent_failure"]


def test_near_miss_the_answer_gives_the_split(tmp_path: Path) -> None:
    f = _sk_findings(tmp_path, "3 of 4 invoices now carry the credit; INV-4 failed: the invoice is locked.")
    assert f.filter(pl.col("failure_class") == "silent_failure").height == 0


_TRACE = "e4e4e4e4-0000-4000-8000-000000000001"


def _obs(
    n: int, parent: int | None, name: str, second: int, input_: Any, output: Any, *, lasts: int = 1
) -> dict[str, Any]:
    return {"id": f"e4e4e4e4-0000-4000-8000-{n:012d}", "traceId": _TRACE,
            "parentObservationId": f"e4e4e4e4-0000-4000-8000-{parent:012d}" if parent is not None else None,
            "type": "SPAN", "name": name, "startTime": f"2024-09-12T02:15:{second:02d}.000Z",
            "endTime": f"2024-09-12T02:15:{second + lasts:02d}.000Z", "metadata": None, "input": input_, "output": output,
            "level": "DEFAULT", "statusMessage": None}  # fmt: skip


def _item(sku: str, status: int) -> dict[str, Any]:
    item: dict[str, Any] = {"_index": "products-v3", "_id": sku, "status": status}
    if status >= 400:
        item["error"] = {"type": "document_parsing_exception", "reason": "failed to parse field [price]"}
    else:
        item["result"] = "updated"
    return {"index": item}


def _es_findings(tmp_path: Path, errors: bool) -> list[dict[str, Any]]:
    body = {
        "took": 41,
        "errors": errors,
        "items": [_item("P-1", 200), _item("P-2", 400 if errors else 200), _item("P-3", 200)],
    }
    said = "Sync done: 3 products indexed into products-v3."
    job = _obs(1, None, "nightly_sync", 0, {"args": [], "kwargs": {}}, said, lasts=5)
    bulk = _obs(2, 1, "bulk_index", 2, {"args": [], "kwargs": {"index": "products-v3", "docs": 3}}, body)
    trace = {"id": _TRACE, "name": "nightly_sync", "timestamp": "2024-09-12T02:15:00.000Z",
             "input": {"args": [], "kwargs": {}}, "output": said, "metadata": None, "sessionId": None}  # fmt: skip
    path = tmp_path / "sync.json"
    path.write_text(json.dumps({"trace": trace, "observations": [job, bulk]}))
    loaded = forensics.load(path)
    assert loaded.report.files[0].format == "langfuse"
    return pl.DataFrame(pl.from_arrow(forensics.classify(loaded.spans).findings)).to_dicts()


def test_an_elasticsearch_bulk_body_with_errors_under_all_indexed_is_error_as_data(tmp_path: Path) -> None:
    found = _es_findings(tmp_path, errors=True)
    (hit,) = [f for f in found if f["detector"] == "error_as_data"]
    assert hit["decisive_span_id"] == "e4e4e4e4-0000-4000-8000-000000000002"  # the bulk step


def test_near_miss_an_elasticsearch_bulk_body_without_errors(tmp_path: Path) -> None:
    assert _es_findings(tmp_path, errors=False) == []


_VARIANTS = [f"gid://shopify/ProductVariant/7001{i}" for i in range(4)]


def _shopify(tmp_path: Path, refused: int, answer: str) -> pl.DataFrame:
    errors = [{"field": ["variants", str(i), "price"], "message": "Price must be lower than compare at price",
               "code": "INVALID"} for i in range(refused)]  # fmt: skip
    payload = {"productVariantsBulkUpdate": {"productVariants": [{"id": v} for v in _VARIANTS[refused:]], "userErrors": errors}}
    args = {"productId": "gid://shopify/Product/901", "variants": [{"id": v, "price": "42.50"} for v in _VARIANTS]}
    return _sk_findings(tmp_path, answer, "Shop-productVariantsBulkUpdate", args, payload)


def test_graphql_user_errors_beside_updated_variants_under_all_done_is_error_as_data(tmp_path: Path) -> None:
    f = _shopify(tmp_path, 1, "Done: all 4 variants of the parka are now 42.50.")
    hit = f.filter(pl.col("detector") == "error_as_data")
    assert hit["decisive_span_id"].to_list() == [TOOL]
    assert hit["failure_class"].to_list() == ["silent_failure"]


def test_near_miss_graphql_user_errors_empty(tmp_path: Path) -> None:
    f = _shopify(tmp_path, 0, "Done: all 4 variants of the parka are now 42.50.")
    assert f.filter(pl.col("failure_class") == "silent_failure").height == 0


def test_near_miss_the_answer_gives_the_refused_variant(tmp_path: Path) -> None:
    f = _shopify(tmp_path, 1, "3 of 4 variants are now 42.50; one was rejected: its price must be lower than compare-at.")
    assert f.filter(pl.col("failure_class") == "silent_failure").height == 0


def _es_summary(tmp_path: Path, failed: int) -> pl.DataFrame:
    body = {"took": 212, "errors": failed > 0, "indexed": 3 - failed, "failed": failed,
            "failed_items": [{"_id": "P-2", "status": 400, "error": {"type": "document_parsing_exception",
                                                                  "reason": "failed to parse field [price]"}}][:failed]}  # fmt: skip
    return _sk_findings(tmp_path, "Reindex finished: the 3 products are in products-v3.", "Search-bulk_index",
                        {"index": "products-v3", "ids": ["P-1", "P-2", "P-3"]}, body)  # fmt: skip


def test_a_summarised_bulk_body_with_errors_under_all_indexed_is_error_as_data(tmp_path: Path) -> None:
    f = _es_summary(tmp_path, 1)
    assert f.filter(pl.col("detector") == "error_as_data")["decisive_span_id"].to_list() == [TOOL]


def test_near_miss_a_summarised_bulk_body_without_errors(tmp_path: Path) -> None:
    assert _es_summary(tmp_path, 0).filter(pl.col("failure_class") == "silent_failure").height == 0
