"""Work a call only started, reported as done (claimed_but_not_done, pending_work.py).

Recorded by Semantic Kernel (Python): each kernel function an ``execute_tool <plugin-fn>`` span with
``gen_ai.tool.call.arguments`` / ``.result``, the answer the ``gen_ai.content.completion`` event of a
``chat.completions`` span (microsoft/semantic-kernel python/semantic_kernel/functions/kernel_function.py,
utils/telemetry/model_diagnostics/decorators.py). The functions return the APIs' own bodies:

- Shopify Admin GraphQL ``bulkOperationRunMutation`` answers ``{"bulkOperation": {"id":
  "gid://shopify/BulkOperation/...", "status": "CREATED", "url": null}, "userErrors": []}``; the
  operation is read again with ``node(id:)`` (``status`` RUNNING, then COMPLETED, ``objectCount``)
  (shopify.dev, "Bulk import data with the GraphQL Admin API", BulkOperationStatus).
- AWS S3 (boto3): ``create_multipart_upload`` answers ``{"Bucket", "Key", "UploadId"}``,
  ``upload_part`` only ``{"ETag"}``; no object exists until ``complete_multipart_upload`` names the
  ``UploadId`` (AWS S3 API reference, CreateMultipartUpload, UploadPart, CompleteMultipartUpload).

Fires: the operation only created, or read once still RUNNING, under "live on all ..."; the parts
uploaded and the upload never completed under "uploaded". Near misses: the operation polled to
COMPLETED; an answer that says it is queued, or only that it was triggered; the upload completed; an
answer that says the upload is not completed; a message queued by its provider (``{"sid", "status":
"queued"}``: Twilio's Message resource, no job), relayed as sent.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl
from otlp_trace import BASE_NS, attr, classify_otlp, otlp_span

AGENT, CHAT = "a000000000000001", "c000000000000001"


def _claims(tmp_path: Path, calls: list[tuple[str, dict[str, Any], dict[str, Any]]], answer: str) -> pl.DataFrame:
    """The claimed_but_not_done findings of a run making ``calls`` (tool, arguments, result) in turn, then answering."""
    end = 1000 * (len(calls) + 1)
    completion = {"timeUnixNano": str(BASE_NS + (end + 500) * 1_000_000), "name": "gen_ai.content.completion",
                  "attributes": [attr("gen_ai.completion", json.dumps([{"role": "assistant", "content": answer}]))]}  # fmt: skip
    chat = otlp_span(CHAT, AGENT, "chat.completions gpt-4o", end, end + 500, {
        "gen_ai.operation.name": "chat.completions", "gen_ai.system": "openai", "gen_ai.request.model": "gpt-4o"})  # fmt: skip
    chat["events"] = [completion]
    tools = [
        otlp_span(f"b00000000000000{i}", AGENT, f"execute_tool {tool}", 1000 * (i + 1), 1000 * (i + 1) + 800, {
            "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": tool, "gen_ai.tool.call.id": f"call_{i}",
            "gen_ai.tool.call.arguments": json.dumps(args), "gen_ai.tool.call.result": json.dumps(result)})
        for i, (tool, args, result) in enumerate(calls)
    ]  # fmt: skip
    spans = [otlp_span(AGENT, "", "invoke_agent StoreAgent", 0, end + 600,
                       {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "StoreAgent"}), *tools, chat]  # fmt: skip
    found = classify_otlp(spans, tmp_path / "sk.json", scope="semantic_kernel.functions.kernel_function")
    return found.filter(pl.col("detector") == "claimed_but_not_done")


OP = "gid://shopify/BulkOperation/206005076024"
RUN = ("Shop-bulk_price_update", {"collection": "outerwear", "percent": -12},
       {"bulkOperation": {"id": OP, "status": "CREATED", "url": None}, "userErrors": []})  # fmt: skip


def _poll(status: str, count: int) -> tuple[str, dict[str, Any], dict[str, Any]]:
    return "Shop-bulk_operation_status", {"id": OP}, {"node": {"id": OP, "status": status, "objectCount": str(count)}}


LIVE = "The 12% markdown is live on all 240 outerwear variants."


def test_a_bulk_operation_only_created_reported_live_is_claimed_but_not_done(tmp_path: Path) -> None:
    f = _claims(tmp_path, [RUN], LIVE)
    assert f["decisive_span_id"].to_list() == [CHAT]
    assert "never read again past its pending status" in f["explanation"][0]


def test_a_bulk_operation_read_once_still_running_reported_live_is_claimed_but_not_done(tmp_path: Path) -> None:
    assert _claims(tmp_path, [RUN, _poll("RUNNING", 120)], LIVE).height == 1


def test_near_miss_the_operation_polled_to_completed(tmp_path: Path) -> None:
    assert _claims(tmp_path, [RUN, _poll("RUNNING", 120), _poll("COMPLETED", 240)], LIVE).height == 0


def test_near_miss_the_answer_says_it_is_queued(tmp_path: Path) -> None:
    said = "The markdown for all 240 variants is queued as a bulk operation; it should finish in a few minutes."
    assert _claims(tmp_path, [RUN], said).height == 0


def test_near_miss_the_answer_says_only_that_it_was_triggered(tmp_path: Path) -> None:
    said = "Done: the 12% markdown for all 240 variants has been triggered as a Shopify bulk operation."
    assert _claims(tmp_path, [RUN], said).height == 0


KEY = {"Bucket": "exports", "Key": "2025-05/orders.parquet"}
UPLOAD = "VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA"
CREATE = ("S3-create_multipart_upload", KEY, {**KEY, "UploadId": UPLOAD})
PARTS = [("S3-upload_part", {**KEY, "UploadId": UPLOAD, "PartNumber": n}, {"ETag": f'"etag{n}a7c"'}) for n in (1, 2)]
COMPLETE = ("S3-complete_multipart_upload", {**KEY, "UploadId": UPLOAD},
            {"Location": "https://exports.s3.amazonaws.com/2025-05/orders.parquet", **KEY, "ETag": '"9b2f-2"'})  # fmt: skip
UPLOADED = "Uploaded: s3://exports/2025-05/orders.parquet is available (2 parts)."


def test_a_multipart_upload_never_completed_reported_uploaded_is_claimed_but_not_done(tmp_path: Path) -> None:
    f = _claims(tmp_path, [CREATE, *PARTS], UPLOADED)
    assert f["decisive_span_id"].to_list() == [CHAT]
    assert "was never completed" in f["explanation"][0]


def test_near_miss_the_upload_completed(tmp_path: Path) -> None:
    assert _claims(tmp_path, [CREATE, *PARTS, COMPLETE], UPLOADED).height == 0


def test_near_miss_the_answer_says_the_upload_is_not_completed(tmp_path: Path) -> None:
    said = "Both parts are uploaded, but the multipart upload has not been completed yet: no object exists."
    assert _claims(tmp_path, [CREATE, *PARTS], said).height == 0


def test_near_miss_a_message_queued_by_its_provider_is_no_job(tmp_path: Path) -> None:
    sms = ("Sms-send_sms", {"to": "+15005550006", "body": "Your order shipped"},
           {"sid": "SM87105da94bff44b999e4e6eb90d8eb6a", "status": "queued", "to": "+15005550006"})  # fmt: skip
    assert _claims(tmp_path, [sms], "Done: the customer has been texted that the order shipped.").height == 0
