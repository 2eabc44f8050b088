"""Work a call only started, reported as done: a job the API took on and a multipart upload never
completed, under an answer that says the work is finished.

An API that works in the background answers the request before the work is done, and its answer
says so. HTTP 202 Accepted: "the request has been accepted for processing, but the processing has
not been completed" (RFC 9110 15.3.3); such APIs return the job with a status that is not yet an
outcome and an id to poll it by (Shopify Admin API ``bulkOperationRunMutation`` returns a
``BulkOperation`` whose ``status`` is ``CREATED``, then ``RUNNING``, ``COMPLETED`` or ``FAILED``, read
again with ``node(id:)`` / ``currentBulkOperation``; Celery's ``AsyncResult`` ``{"task_id", "status":
"PENDING"}``; a price job's ``{"status": "queued", "job_id": ...}``). An S3 multipart upload stores no
object until ``CompleteMultipartUpload`` names its ``UploadId`` (AWS S3 API reference,
CreateMultipartUpload: "you must either complete or abort the multipart upload"; UploadPart answers
only the part's ``ETag``); ``CreateMultipartUpload`` answers ``{"Bucket", "Key", "UploadId"}``.

A result opens such work (:func:`opened_work`) when it names a job (a key for a job, an operation, a
task or a URL to poll) with a pending status, or is an upload's ``UploadId`` at its top level, and
the identifier it gives is not in the call's own arguments (a read of a known job's status opened
nothing). The work is settled when a later successful call names that identifier and, for a job,
its result is no longer pending (polled to an outcome), or, for an upload, the call completes or
aborts it (the operation's name in the call or its arguments: ``complete-multipart-upload``,
``completeMultipartUpload``, boto3's ``complete_multipart_upload``).

Work left open is a silent failure only where the run's answer reports it finished: the run reported
success, its final answer states completion (``live``, ``done``, ``uploaded``, "all 312 ...") and
neither names the work's identifier nor says it is pending (queued, in progress, "will take", "not
yet"): an answer that says the job was queued told the truth (claimed_but_not_done).
"""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.conventions.registry import QP as _QP
from forensics.detectors.base import Context, finding, hms, txt

#: A key naming a job, an operation, a task or where to poll it.
_JOB_KEY: Final = (
    rf"(?i){_QP}(?:job|job_?id|jobId|operation|operation_?id|operationId|bulk_?operation|bulkOperation"
    rf"|task_?id|taskId|poll_?url|pollUrl|status_?url|statusUrl){_QP}\s*:"
)
#: A status that is not yet an outcome, or HTTP 202 Accepted.
PENDING: Final = (
    rf"(?i){_QP}(?:status|state){_QP}\s*:\s*{_QP}(?:queued|enqueued|pending|accepted|created|submitted|scheduled"
    rf"|waiting|in[_ -]?progress|running|processing|validating){_QP}"
    rf"|{_QP}(?:status|status_?code|statusCode|http_?status){_QP}\s*:\s*202\b"
)
#: An S3 multipart upload's id at the result's top level (no list before it: ListMultipartUploads
#: lists uploads, it opens none).
_UPLOAD_OPENED: Final = rf"^[^\[]*?{_QP}UploadId{_QP}\s*:\s*{_QP}"
#: The call that completes or aborts a multipart upload, in the API's, the CLI's or boto3's spelling.
_UPLOAD_SETTLED: Final = r"(?i)(?:complete|abort)[-_ ]?multipart[-_ ]?upload"
#: An identifier the result gives (group 1): a key named ``id``, ``*_id`` or ``*Id``, its value.
_ID: Final = rf"{_QP}(?:id|ID|[A-Za-z]*_id|[A-Za-z]+Id){_QP}\s*:\s*{_QP}([^\"'\\\s]{{5,200}})"
#: An answer stating the work finished.
_DONE: Final = (
    r"(?i)\b(?:done|complete[d]?|finished|live|applied|updated|uploaded|available|succeeded|successful(?:ly)?"
    r"|in place|ha(?:s|ve) been|(?:is|are) now|all \d[\d,]*)\b"
)
#: An answer telling the work is still under way or not finished, or reporting only what the call
#: did (the job created, triggered, sent off: "the nightly export has been triggered" is true of a
#: queued job), or a fault.
_TOLD_PENDING: Final = (
    r"(?i)\b(?:queued|enqueued|pending|in progress|processing|submitted|scheduled|accepted|started|kicked off"
    r"|under ?way|running|in the background|not (?:yet )?(?:been )?(?:complete|completed|finished|done|live)|yet to"
    r"|still|will (?:be|take|finish|complete|go|apply|run|update)|should (?:finish|complete|be)|once (?:it|the)"
    r"|check (?:back|on|its|the status)|poll"
    r"|created|added|opened|filed|placed|registered|triggered|launched|initiated|dispatched|requested"
    r"|fail(?:ed|ure|s)?|error|could not|couldn't|unable)"
)


def opened_work(ctx: Context) -> pl.LazyFrame:
    """``run_id, span_id, seq, t, call, upload, ref``: the successful tool calls whose result opened
    work in the background (module docstring), one row per identifier the result gives."""
    out = pl.col("output")
    job = out.str.contains(_JOB_KEY).fill_null(False) & out.str.contains(PENDING).fill_null(False)
    upload = out.str.contains(_UPLOAD_OPENED).fill_null(False)
    return (
        ctx.spans.lazy()
        .filter((pl.col("kind") == "tool") & pl.col("succeeded") & (job | upload))
        .select(
            "run_id", "span_id", "seq", "t", "call", upload.alias("upload"), pl.col("args").fill_null("").alias("_args"),
            out.str.extract_all(_ID).alias("ref"),
        )
        .explode("ref")
        .with_columns(pl.col("ref").str.extract(_ID, 1))
        .filter(pl.col("ref").str.contains(r"\d").fill_null(False))
        # An identifier the call was given existed before it: a read or an update of known work.
        .filter(~pl.col("_args").str.contains(pl.col("ref"), literal=True))
        .drop("_args")
    )


def left_open(ctx: Context) -> pl.LazyFrame:
    """The rows of :func:`opened_work` whose work no later successful call settled: a job read again
    to a result that is no longer pending, an upload completed or aborted."""
    opened = opened_work(ctx).collect().lazy()
    later = (
        ctx.spans.lazy()
        .filter((pl.col("kind") == "tool") & pl.col("succeeded"))
        .join(opened.select("run_id").unique(), on="run_id", how="semi")
        .select(
            "run_id",
            pl.col("seq").alias("_l_seq"),
            pl.concat_str([pl.col("call").fill_null(""), pl.col("args").fill_null("")], separator=" ").alias("_l_call"),
            pl.col("output").str.contains(PENDING).fill_null(False).alias("_l_pending"),
        )
    )
    settled = (
        opened.join(later, on="run_id")
        .filter(
            (pl.col("_l_seq") > pl.col("seq"))
            & pl.col("_l_call").str.contains(pl.col("ref"), literal=True)
            & pl.when(pl.col("upload"))
            .then(pl.col("_l_call").str.contains(_UPLOAD_SETTLED))
            .otherwise(~pl.col("_l_pending"))
        )
        .select("run_id", "span_id")
        .unique()
    )
    return opened.join(settled, on=["run_id", "span_id"], how="anti")


def unfinished_claims(ctx: Context, besides: pl.LazyFrame) -> pl.LazyFrame:
    """Findings (``finding`` columns): work left open (:func:`left_open`) under a success the final
    answer reports finished, neither naming the work nor saying it is pending, in the runs without a
    finding in ``besides`` (one claim, one finding). Evidence: the call that opened it and the claim;
    decisive: the claim, the run's last model call with text where there is one (the model that said
    it), else the span that produced the answer."""
    answer = pl.col("final_output")
    runs = ctx.runs.lazy().filter(
        (pl.col("reported_outcome") == "success")
        & answer.str.contains(_DONE).fill_null(False)
        & ~answer.str.contains(_TOLD_PENDING).fill_null(True)
    )
    open_ = (
        left_open(ctx)
        .join(runs.select("run_id", "final_output", "answer_span_id", "answer_t"), on="run_id")
        .join(besides.select("run_id"), on="run_id", how="anti")
        .with_columns(pl.col("final_output").str.contains(pl.col("ref"), literal=True).alias("_named"))
        .group_by("run_id", "span_id")
        .agg(pl.all().exclude("_named").first(), pl.col("_named").any())
        .filter(~pl.col("_named"))
        .sort("run_id", "seq")
        .group_by("run_id", maintain_order=True)
        .agg(pl.all().first(), pl.len().alias("n"))
    )
    said = (
        ctx.spans.lazy()
        .filter((pl.col("kind") == "llm") & (pl.col("output").str.strip_chars().str.len_chars() > 0).fill_null(False))
        .sort("seq")
        .group_by("run_id")
        .agg(pl.col("span_id").last().alias("_said"), pl.col("seq").last().alias("_said_seq"))
    )
    claim = (
        pl.when(pl.col("_said_seq") > pl.col("seq")).then(pl.col("_said")).otherwise(pl.col("answer_span_id"))
    )
    what = (
        pl.when(pl.col("upload"))
        .then(pl.format("multipart upload {} was never completed", pl.col("ref")))
        .otherwise(pl.format("job {} was never read again past its pending status", pl.col("ref")))
    )
    return (
        open_.join(said, on="run_id", how="left")
        .with_columns(claim.alias("_claim"))
        .select(
            finding(
                "run_id",
                pl.concat_list("span_id", "_claim").list.drop_nulls().list.unique(maintain_order=True),
                pl.coalesce("_claim", "span_id"),
                pl.format(
                    "tool {} at {} only started the work ({}), yet the final answer at {} reports it done",
                    txt(pl.col("call")), hms("t"), what, hms("answer_t"),
                ),
            )
        )
    )  # fmt: skip
