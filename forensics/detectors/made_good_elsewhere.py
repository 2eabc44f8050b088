"""A write that failed, and the same end reached another way: two fallbacks the tool names hide.

``failure_followups`` knows a fallback by its name (the same verb on another service, a tool the
policy calls a fallback) or by a declaration (``fallback_of``). Two that agents take all the time
show neither:

* **stored elsewhere**: a write of a file failed (``java.io.IOException: No space left on device``
  from a Spring AI ``@Tool`` method, which Spring AI's ``DefaultToolExecutionExceptionProcessor``
  hands back to the model as the tool's result; Python's ``OSError: [Errno 28]`` raised out of a
  smolagents tool, which the agent loop turns into the step's error observation), and the agent
  wrote the same file through another tool to another place (a bucket upload): a later successful
  side-effecting call of another tool whose arguments name the same file, by its name. It made the
  failure good only where the run's answer says where the file went: names a value of the new
  call's arguments the failed call did not have (the bucket). An answer that still names only the
  old place, or none, left the reader looking where nothing is.
* **found existing**: a create answered that its object already exists (Okta's
  ``E0000001 "An object with this field already exists"``, HTTP 400; Kubernetes' 409
  ``AlreadyExists``), and a later read by the agent with the same key (the login the create sent)
  found it: the object the create was for is there, which is what the step needed (the
  get-or-create an idempotent client does; Django's ``QuerySet.get_or_create``).
* **replayed by key**: a create sent with an idempotency key answered 409 Conflict: another request
  with that key is in flight or already done (Stripe's ``idempotency_key_in_use``, "There is
  currently another in-progress request using this idempotent key ... Please try again later";
  the IETF Idempotency-Key header draft, draft-ietf-httpapi-idempotency-key-header section 2.7:
  409 while the first request with the key is still being processed), and a later successful read
  by that key, or whose result holds it, found the object: the first request did the act, and not
  doing it twice is the key's whole purpose. A key reused with other parameters (Stripe's
  "Keys for idempotent requests can only be used with the same parameters"; the draft's 422) names
  another request's object: no replay.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.detectors.base import Context

#: A file's name at the end of a JSON string value (a path's last segment or the whole value):
#: letters, digits, ``_ . -``, then an extension of 1-5 characters starting with a letter.
_FILE_NAME: Final = r'[/"][\w.-]+\.[A-Za-z][A-Za-z0-9]{0,4}"'
#: A JSON string value in an arguments text (whitespace already taken out: ``args``).
_VALUE: Final = r':"[^"]{3,}"'
#: A key value worth matching across calls: long enough, and holding a letter (not a bare count).
_KEY_VALUE: Final = r':"[^"]*[A-Za-z][^"]*"'
#: The object of a create is there already (Kubernetes' Status reason AlreadyExists, Okta's
#: E0000001 "An object with this field already exists", SQL's unique-violation words).
ALREADY_EXISTS: Final = r"(?i)\balready[ _-]?exists?\b|\bduplicate\s+(?:key|entry)\b"
#: The idempotency key a call sent, as its arguments hold it (JSON, or a Python dict's repr as
#: LangChain's tool input string keeps it; whitespace already taken out): the value, 6+ characters.
_IDEMPOTENCY_KEY: Final = r"""(?i)idempotency[_-]?key\\?["']:\\?["']([^"'\\]{6,})"""
#: The request with that key is in flight or done: HTTP 409 Conflict, Stripe's idempotency_key_in_use.
_KEY_IN_USE: Final = r"(?i)\b409\b|\bconflict\b|idempotency[_ -]?key[_ -]?in[_ -]?use"
#: The key was sent before with other parameters (Stripe's idempotency_error "can only be used with
#: the same parameters", the draft's 422): whatever the key finds is another request's object.
_KEY_MISUSED: Final = (
    r"(?i)\bsame\s+parameters\b|\bdifferent\s+(?:parameters|payload|request\s+body)\b|\b422\b|"
    r"\b(?:payload|parameters|request\s+body)\s+(?:does\s*n[o']?t|do\s*n[o']?t)\s+match\b"
)


def _pairs(ctx: Context, rows: pl.LazyFrame) -> pl.LazyFrame:
    """Each failing tool call of ``rows`` (``run_id, span_id``) with every later successful tool
    call of another tool by the same agent, started once the failure had come back. The agent's
    answer tool (smolagents' final_answer) is no such call: naming the thing in the answer finds
    nothing."""
    from forensics.detectors.ignored_errors import ANSWER_TOOLS

    s = ctx.spans.lazy()
    failed = (
        rows.select("run_id", "span_id")
        .join(
            s.filter(pl.col("kind") == "tool").select(
                "run_id", "span_id", "seq", "call", "agent", "args", "is_side_effect",
                pl.concat_str(["error_type", "error_label", "output"], separator=" ", ignore_nulls=True).alias("_said"),
                pl.coalesce("end_time", "t").alias("_f_end"),
            ),
            on=["run_id", "span_id"],
        )
        .filter(pl.col("args").is_not_null())
    )
    later = s.filter(
        (pl.col("kind") == "tool")
        & pl.col("succeeded")
        & pl.col("args").is_not_null()
        & ~pl.col("call_tool").is_in(ANSWER_TOOLS).fill_null(False)
    ).select(
        "run_id",
        pl.col("span_id").alias("_l_id"),
        pl.col("seq").alias("_l_seq"),
        pl.col("t").alias("_l_t"),
        pl.col("call").alias("_l_call"),
        pl.col("agent").alias("_l_agent"),
        pl.col("args").alias("_l_args"),
        pl.col("output").alias("_l_output"),
        pl.col("is_side_effect").alias("_l_side_effect"),
    )
    return failed.join(later, on="run_id").filter(
        (pl.col("_l_seq") > pl.col("seq"))
        & (pl.col("_l_t") >= pl.col("_f_end")).fill_null(True)
        & (pl.col("_l_call") != pl.col("call"))
        & pl.col("_l_agent").eq_missing(pl.col("agent"))
    )


def _each_match(frame: pl.LazyFrame, column: str, pattern: str, alias: str) -> pl.LazyFrame:
    """``frame`` with one row per match of ``pattern`` in ``column`` (the match in ``alias``)."""
    return frame.with_columns(pl.col(column).str.extract_all(pattern).alias(alias)).explode(alias).drop_nulls(alias)


def _first(found: pl.LazyFrame, alias: str) -> pl.LazyFrame:
    return found.sort("run_id", "span_id", "_l_seq").group_by("run_id", "span_id").agg(pl.col("_l_id").first().alias(alias))


def stored_elsewhere(ctx: Context, rows: pl.LazyFrame) -> pl.LazyFrame:
    """``run_id, span_id, _elsewhere_id`` of the failing side-effecting tool calls in ``rows``
    whose file a later side-effecting call of another tool wrote (the same file name in its
    arguments), where the run's answer names the new place (a value of that call's arguments the
    failed call did not hold): the module docs' "stored elsewhere"."""
    pairs = _pairs(ctx, rows).filter(pl.col("is_side_effect") & pl.col("_l_side_effect"))
    files = _each_match(pairs.select("run_id", "span_id", "args").unique(), "args", _FILE_NAME, "_file").select(
        "run_id", "span_id", pl.col("_file").str.slice(1).str.strip_chars_end('"')
    )
    same_file = (
        pairs.join(files, on=["run_id", "span_id"])
        .filter(pl.col("_l_args").str.contains(pl.col("_file"), literal=True))
        .select("run_id", "span_id", "args", "_l_id", "_l_seq", "_l_args")
        .unique()
    )
    # Where it went: a value of the new call's arguments that the failed call's arguments lack
    # (the bucket, the new host), named in the final answer (compared without whitespace, as
    # ``args`` is kept).
    answers = ctx.runs.lazy().select("run_id", pl.col("final_output").str.replace_all(r"\s+", "").alias("_answer"))
    place = (
        _each_match(same_file, "_l_args", _VALUE, "_value")
        .with_columns(pl.col("_value").str.slice(2).str.strip_chars_end('"'))
        .filter(~pl.col("args").str.contains(pl.col("_value"), literal=True))
        .join(answers, on="run_id")
        .filter(pl.col("_answer").str.contains(pl.col("_value"), literal=True).fill_null(False))
    )
    return _first(place, "_elsewhere_id")


def found_existing(ctx: Context, rows: pl.LazyFrame) -> pl.LazyFrame:
    """``run_id, span_id, _existing_id`` of the failing side-effecting tool calls in ``rows`` whose
    error says the object already exists, where a later read (a call of another tool that is not
    side-effecting) with one of the same key values in its arguments succeeded: the module docs'
    "found existing"."""
    pairs = _pairs(ctx, rows).filter(
        pl.col("is_side_effect") & ~pl.col("_l_side_effect") & pl.col("_said").str.contains(ALREADY_EXISTS).fill_null(False)
    )
    keys = (
        _each_match(pairs.select("run_id", "span_id", "args").unique(), "args", _KEY_VALUE, "_key")
        .filter(pl.col("_key").str.len_chars() >= 8)
        .select("run_id", "span_id", pl.col("_key").str.slice(1))
    )
    found = pairs.join(keys, on=["run_id", "span_id"]).filter(pl.col("_l_args").str.contains(pl.col("_key"), literal=True))
    return _first(found, "_existing_id")


def replayed_by_key(ctx: Context, rows: pl.LazyFrame) -> pl.LazyFrame:
    """``run_id, span_id, _replayed_id`` of the failing side-effecting tool calls in ``rows`` sent
    with an idempotency key and answered 409 (``_KEY_IN_USE``, not ``_KEY_MISUSED``), where a later
    read (a call of another tool that is not side-effecting, not error-shaped) sent that key or
    returned it: the module docs' "replayed by key"."""
    pairs = _pairs(ctx, rows).filter(
        pl.col("is_side_effect")
        & ~pl.col("_l_side_effect")
        & pl.col("_said").str.contains(_KEY_IN_USE).fill_null(False)
        & ~pl.col("_said").str.contains(_KEY_MISUSED).fill_null(False)
    )
    keyed = pairs.with_columns(pl.col("args").str.extract(_IDEMPOTENCY_KEY, 1).alias("_key")).drop_nulls("_key")
    found = keyed.join(
        ctx.spans.lazy().select("run_id", pl.col("span_id").alias("_l_id"), pl.col("error_shaped").alias("_l_shaped")),
        on=["run_id", "_l_id"],
    ).filter(
        ~pl.col("_l_shaped").fill_null(False)
        & (
            pl.col("_l_args").str.contains(pl.col("_key"), literal=True)
            | pl.col("_l_output").str.contains(pl.col("_key"), literal=True)
        ).fill_null(False)
    )
    return _first(found, "_replayed_id")


def made_good_elsewhere(ctx: Context, rows: pl.LazyFrame) -> pl.LazyFrame:
    """``run_id, span_id, _elsewhere_id``: the failing spans of ``rows`` (``run_id, span_id,
    parent_id``) made good another way (:func:`stored_elsewhere`, :func:`found_existing`,
    :func:`replayed_by_key`), and the
    failing requests directly under such a call (the HTTP 400 under the create whose object was
    found): the call around them was made good, so were they."""
    rows = rows.collect().lazy()
    tools = rows.select("run_id", "span_id")
    good = pl.concat(
        [
            stored_elsewhere(ctx, tools),
            found_existing(ctx, tools).rename({"_existing_id": "_elsewhere_id"}),
            replayed_by_key(ctx, tools).rename({"_replayed_id": "_elsewhere_id"}),
        ]
    ).unique(["run_id", "span_id"], keep="first")
    below = (
        rows.filter(pl.col("parent_id").is_not_null())
        .select("run_id", "span_id", "parent_id")
        .join(good.rename({"span_id": "parent_id"}), on=["run_id", "parent_id"])
        .drop("parent_id")
    )
    return pl.concat([good, below]).unique(["run_id", "span_id"], keep="first").sort("run_id", "span_id")
