"""A write the run's own later read found missing, for ``silent_failure.undelivered_output``.

A tool that writes the run's output somewhere (a file, a document, a record) can answer that it did
and leave nothing there: a sandbox whose disk does not outlive the call, a write to another working
directory, a store that dropped it. The run then reads the same place back and finds nothing, and
reports the output delivered all the same. LangChain's file tools show the shape: WriteFileTool
answers "File written successfully to {file_path}." and ReadFileTool "Error: no such file or
directory: {file_path}" for a path that is not there, or the file's text, empty for an empty file
(langchain_community/tools/file_management/write.py, read.py).

Read, per run: a successful call of a tool named for writing (``WRITE_VERB``, not a read by the
policy's ``tools.read_only``), then a later call of a read tool whose every text argument is in the
write's arguments (the same place: ``{"file_path": "reports/q3.md"}`` against the write's
``{"file_path": "reports/q3.md", "text": ...}``), which found nothing: an empty result, or a failure
or error-shaped result saying the thing is not there (``NOT_THERE``). Made good, and no finding, when
a later write of the same place succeeded or a later read of it found something. The read that
found the write missing is this finding's evidence, not an error read as data: error_as_data skips
it (:func:`lost_write_reads`).
"""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.detectors.base import EMPTY_RESULT, Context

#: A tool named for putting content somewhere (write_file, save_report, upload_document,
#: create_page, put_object, insert_row, append_to_sheet, publish_post); never a delete, whose later
#: read finding nothing is its success.
WRITE_VERB: Final = (
    r"(?i)(?:^|[^a-z])(?:write|save|store|create|put|upload|insert|upsert|append|post|publish)(?:s|d|ed|ing)?(?:[^a-z]|$)"
    r"|^(?:write|save|store|create|put|upload|insert|upsert|append|post|publish)[A-Z]"
)
#: A read's answer that the thing is not there (the file tools' "no such file or directory", HTTP
#: 404, S3's NoSuchKey, "does not exist", "not found").
NOT_THERE: Final = (
    r"(?i)no such (?:file|key|object|document|record|item)|nosuchkey|\bnot[\s_-]?found\b|does\s*n[o']t exist|\b404\b|\benoent\b"
)
#: A text argument of a call (the prepared ``args`` is whitespace-free JSON): its value.
_TEXT_ARG: Final = r'"[A-Za-z0-9_.-]+":"((?:[^"\\]|\\.){3,})"'


def lost_writes(ctx: Context) -> pl.LazyFrame:
    """``run_id, w_id, w_call, w_t, r_id, r_call, r_t, r_said``: per run, its first successful
    write that a later read of the same place found missing and nothing made good (module doc)."""
    return (
        _lost_writes(ctx)
        .lazy()
        .sort("run_key", "w_seq", "r_seq")
        .group_by("run_key")
        .agg(pl.all().first())
        .select("run_id", "w_id", "w_call", "w_t", "r_id", "r_call", "r_t", "r_said")
    )


def lost_write_reads(ctx: Context) -> pl.LazyFrame:
    """``run_id, span_id`` of every read that found a write of the run missing, nothing making it
    good: the evidence of that write's loss (undelivered_output's), not an error read as data."""
    return _lost_writes(ctx).lazy().select("run_id", pl.col("r_id").alias("span_id")).unique()


def _lost_writes(ctx: Context) -> pl.DataFrame:
    """Every (write, read) pair of a lost write, built once per classification."""
    return ctx.once("lost_writes", lambda: _pairs(ctx))


def _pairs(ctx: Context) -> pl.DataFrame:
    tools = ctx.spans.lazy().filter(
        (pl.col("kind") == "tool") & pl.col("call").is_not_null() & pl.col("args").is_not_null()
    )
    # The names' tests read once per distinct call name (a few hundred), not per call (233k at the
    # bench night, each regex twice: for the writes and the reads).
    names = tools.select(pl.col("call").unique()).collect().get_column("call")
    roles = names.to_frame().select(
        "call",
        pl.col("call").str.contains(ctx.policy.read_only).fill_null(False).alias("_read"),
        pl.col("call").str.contains(WRITE_VERB).fill_null(False).alias("_write"),
    )
    read = pl.col("call").is_in(roles.filter("_read").get_column("call").implode())
    written = pl.col("call").is_in(roles.filter("_write").get_column("call").implode())
    writes = tools.filter(pl.col("succeeded") & ~read & written).select(
        "run_key", "run_id", pl.col("span_id").alias("w_id"), pl.col("seq").alias("w_seq"),
        pl.col("call").alias("w_call"), pl.col("t").alias("w_t"), pl.col("args").alias("w_args"),
    )  # fmt: skip
    said = (
        pl.when(pl.col("failed"))
        .then(pl.concat_str([pl.col("error_label"), pl.col("output")], separator=": ", ignore_nulls=True))
        .otherwise(pl.col("output"))
    )
    # Nothing there: an empty result (error-shaped as it is where data was expected; a result not
    # recorded says nothing), or a failure
    # or error-shaped result saying so.
    nothing = (~pl.col("failed") & pl.col("output").str.contains(EMPTY_RESULT).fill_null(False)) | (
        (pl.col("failed") | pl.col("error_shaped")) & said.str.contains(NOT_THERE).fill_null(False)
    )
    # A read's place: its text arguments' values (extract_all keeps "key":"value"), sorted.
    place = (
        pl.col("args").str.extract_all(_TEXT_ARG).list.eval(pl.element().str.replace(r'^"[^"]*":"', "").str.strip_suffix('"'))
    )
    reads = (
        tools.filter(read)
        .join(writes.select("run_key").unique(), on="run_key", how="semi")
        .select(
            "run_key", pl.col("span_id").alias("r_id"), pl.col("seq").alias("r_seq"), pl.col("call").alias("r_call"),
            pl.col("t").alias("r_t"), nothing.alias("r_nothing"), said.alias("r_said"), place.alias("_values"),
        )
        .filter(pl.col("_values").list.len() > 0)
        .with_columns(pl.col("_values").list.sort().list.join("\n").alias("_place"))
        .collect()
    )  # fmt: skip
    # The few reads that found nothing, each against the writes of its run before it: the same place
    # when every text argument of the read is in the write's arguments.
    empty = reads.lazy().filter(pl.col("r_nothing"))
    lost = (
        writes.join(empty, on="run_key")
        .filter(pl.col("r_seq") > pl.col("w_seq"))
        .with_row_index("_p")
        .explode("_values")
        .with_columns(pl.col("w_args").str.contains(pl.col("_values"), literal=True).alias("_in"))
        .group_by("_p")
        .agg(pl.all().exclude("_values", "_in").first(), pl.col("_in").all())
        .filter(pl.col("_in"))
        .drop("_in")
        .collect()
    )
    # Made good: after the empty read, a read of the same place found something, or a write of it
    # succeeded.
    found_later = (
        lost.lazy()
        .select("_p", "run_key", "_place", "r_seq")
        .join(reads.lazy().filter(~pl.col("r_nothing")).select("run_key", "_place", pl.col("r_seq").alias("_later")),
              on=["run_key", "_place"])
        .filter(pl.col("_later") > pl.col("r_seq"))
        .select("_p")
    )  # fmt: skip
    written_later = (
        lost.lazy()
        .select("_p", "run_key", pl.col("_place").str.split("\n").alias("_values"), "r_seq")
        .join(writes.select("run_key", pl.col("w_args").alias("_args"), pl.col("w_seq").alias("_later")), on="run_key")
        .filter(pl.col("_later") > pl.col("r_seq"))
        .with_row_index("_q")
        .explode("_values")
        .with_columns(pl.col("_args").str.contains(pl.col("_values"), literal=True).alias("_in"))
        .group_by("_q")
        .agg(pl.col("_p").first(), pl.col("_in").all())
        .filter(pl.col("_in"))
        .select("_p")
    )
    return (
        lost.lazy()
        .join(pl.concat([found_later, written_later]).unique(), on="_p", how="anti")
        .select("run_key", "run_id", "w_id", "w_seq", "w_call", "w_t", "r_id", "r_seq", "r_call", "r_t", "r_said")
        .collect()
    )
