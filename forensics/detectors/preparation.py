"""Preparation: the columns several detectors need, derived once per classification over the whole
span table (order within the run, roots, failures, error-shaped outputs, tool roles from the
policy's patterns, handoff targets, confidence), with the conventions layer's meaning columns, and
the runs table (:func:`forensics.detectors.facts.run_facts`). ``prepare`` returns the
:class:`~forensics.detectors.base.Context` every detector reads.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics import conventions
from forensics.conventions.registry import RARE_ATTRIBUTES, where_contains
from forensics.conventions.rollups import without_rollups
from forensics.conventions.tool_descriptions import only_notifies
from forensics.detectors.base import (
    CONFIDENCE,
    CONTEXT_OVERFLOW_TEXT,
    EMPTY_RESULT,
    ERROR_SHAPED,
    EXISTING_RETURNED,
    HASH_SEED,
    HTTP_IN_ATTRS,
    HTTP_IN_REQUESTS_ERROR,
    HTTP_IN_TEXT,
    NOT_DONE_FLAG,
    PERSON,
    TOKEN_THROTTLE_TEXT,
    TRANSFER_TOOL,
    TRUNCATED_FINISH,
    Context,
    Stages,
    on_rows,
)
from forensics.detectors.batch_results import bulk_error_rows
from forensics.detectors.facts import run_facts
from forensics.detectors.html_pages import html_page_returned
from forensics.detectors.http_labels import http_label, http_target_exprs
from forensics.detectors.person_signals import (
    NOT_ACKNOWLEDGED,
    PERSON_APPROVED,
    PERSON_DECIDED,
    PERSON_INPUT_TOOLS,
)
from forensics.detectors.result_verdict import (
    NO_ROWS_CHANGED,
    OWN_VERDICT_STATED,
    dropped_list_fields,
    record_state_read,
    record_status_only,
    write_verdict_failed,
)
from forensics.detectors.returned_errors import returned_error
from forensics.detectors.tool_messages import tool_message_error
from forensics.policy import Policy

#: Tools whose answer is a collection (search, list, find, query, filter): an empty one is an answer.
COLLECTION_TOOL: Final = r"(?i)(^|[^a-z])(search|list|find|query|filter|scan|browse)"


def _norm_name(e: pl.Expr) -> pl.Expr:
    """Agent names compared loosely: 'Billing Agent', 'billing_agent' and 'billingAgent' match."""
    return e.str.to_lowercase().str.replace_all(r"[^a-z0-9]", "")


_ROLE_BITS: Final = (
    "is_side_effect",
    "is_irreversible",
    "is_escalation_tool",
    "is_delivery",
    "is_fallback_tool",
    "is_ack_step",
    "is_approval_step",
)


def _role_masks(names: pl.Series, policy: Policy) -> pl.DataFrame:
    """Policy roles of each distinct tool or step name, as one bit mask (a few hundred names are
    matched, not millions of rows)."""
    # A camelCase name's words start where a capital follows a lower-case letter or digit: the
    # Vercel AI SDK's tools are the keys of a `tools: { issueRefund: tool({...}) }` object, named
    # as JavaScript names its functions (vercel/ai `packages/ai/core/generate-text/generate-text.ts`:
    # `tools[toolCall.toolName]`, and the span's `'ai.toolCall.name': toolCall.toolName`). `issueRefund` is the verb refund as `issue_refund`
    # is; matched as `issue_Refund`, the policy's word-start patterns read both.
    n = pl.col("name").str.replace_all(r"([a-z0-9])([A-Z])", "${1}_${2}")
    writes = ~n.str.contains(policy.read_only)
    flags = {
        "is_side_effect": n.str.contains(policy.side_effecting) & writes,
        "is_irreversible": n.str.contains(policy.irreversible) & writes,
        "is_escalation_tool": n.str.contains(policy.escalation),
        "is_delivery": n.str.contains(policy.delivery),
        "is_fallback_tool": n.str.contains(policy.fallback),
        "is_ack_step": n.str.contains(policy.acknowledgement),
        "is_approval_step": n.str.contains(policy.approval),
    }
    mask = pl.sum_horizontal([flags[k].cast(pl.UInt32) * (1 << i) for i, k in enumerate(_ROLE_BITS)])
    return pl.DataFrame({"name": names}).drop_nulls().unique().select("name", mask.alias("mask"))


#: Ollama's num_ctx option (the context window a request runs with) as an invocation parameter.
NUM_CTX: Final = r'num_ctx\\?"\s*:\s*"?(\d+)'


def _existing_returned(text: pl.Expr) -> pl.Expr:
    """A get-or-create's answer for an object that was there (EXISTING_RETURNED): "created": false
    beside the object's id, and no other not-done flag ("sent": false) in the result."""
    created_false, object_id = EXISTING_RETURNED
    return (
        text.str.contains(created_false)
        & text.str.contains(object_id)
        & ~text.str.replace_all(created_false, " ").str.contains(NOT_DONE_FLAG)
    )


def _map_distinct(col: pl.Expr, values: pl.Series, derive: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    """``derive`` computed once per distinct value of ``values``, then mapped onto ``col``. The
    distinct values are found on the Series (a DataFrame's unique over the one column cost ~2x)."""
    table = values.drop_nulls().unique().alias("name").to_frame().with_columns(derive.alias("out"))
    return col.replace_strict(table["name"], table["out"], default=None, return_dtype=dtype)


def _text_where(mask: pl.Expr, col: pl.Expr) -> pl.Expr:
    """``col`` where ``mask`` holds, else the empty text: a regex (or literal) ``str.contains`` over
    it reads the masked rows only. Not a when/then null: polars keeps the text behind such a null
    and ``contains`` reads it (a regex after a when/then mask paid for every row); not on_rows'
    filter and gather either: that evaluates an expensive mask again for each use. For tests that
    cannot match the empty text (a null text stays null)."""
    return pl.when(mask).then(col).otherwise(pl.lit(""))


def _in_order(df: pl.DataFrame, keys: list[str]) -> bool:
    """True when each run's rows are contiguous and ordered by ``keys[1:]`` (no nulls): then the
    sort is unnecessary (which run comes first does not matter). Vectorised comparisons of each
    row with the one before it."""
    if df.height < 2 or any(df.get_column(k).null_count() for k in keys):
        return df.height < 2
    run, rest = keys[0], keys[1:]
    same = pl.col(run) == pl.col(run).shift(1)
    after = pl.lit(False)
    tie = pl.lit(True)
    # Within a run, row i >= row i-1 lexicographically: a key greater with the earlier ones equal.
    for k in rest:
        prev = pl.col(k).shift(1)
        after = after | (tie & (pl.col(k) > prev))
        tie = tie & (pl.col(k) == prev)
    checks = df.select(
        (~same).fill_null(True).sum().alias("boundaries"),
        pl.col(run).n_unique().alias("runs"),
        (~same | after | tie).fill_null(True).all().alias("ordered"),
    ).row(0, named=True)
    return bool(checks["ordered"]) and checks["boundaries"] == checks["runs"]


def _answers_agent(df: pl.DataFrame, human: pl.Expr) -> pl.Series:
    """For each row: the agent had spoken earlier in the run (in ``seq`` order, the run's total
    order, message order where the source has no times). A model call counts where it starts; an
    agent step with an output counts once it has ended (an agent span that wraps the whole run has
    not spoken when the person's request arrives). Computed on the person, model and agent rows
    only, then scattered back."""
    kind = pl.col("kind")
    rows = df.select(
        pl.int_range(pl.len(), dtype=pl.UInt32).alias("_row"),
        "run_key",
        "kind",
        "t",
        "end_time",
        "output",
        human.alias("_h"),
    ).filter(pl.col("_h") | kind.is_in(["llm", "agent"]))
    out = pl.repeat(False, df.height, dtype=pl.Boolean, eager=True).alias("answers_agent")
    # Only the runs with a person's turn can hold one that answers: the others are left out
    # before the running minimum over each run.
    asking = rows.filter(pl.col("_h")).get_column("run_key").unique()
    if asking.len() == 0:
        return out
    rows = rows.filter(pl.col("run_key").is_in(asking.implode()))
    spoke = (
        pl.when(kind == "llm")
        .then(pl.lit(0, dtype=pl.Int64))
        .when((kind == "agent") & pl.col("output").is_not_null())
        .then(pl.col("end_time").dt.epoch("ns"))
    )
    earliest = spoke.cum_min().forward_fill().shift(1).over("run_key")
    found = rows.select(
        "_row",
        (pl.col("_h") & ((earliest == 0) | (earliest <= pl.col("t").dt.epoch("ns"))).fill_null(False)).alias(
            "answered"
        ),
    )
    return out.scatter(found.get_column("_row"), found.get_column("answered"))


def _error_shaped(df: pl.DataFrame, policy: Policy) -> pl.Series:
    """Results (tool, retriever, handoff outputs) shaped as an error: ERROR_SHAPED; a side-effecting
    tool's own not-done flag (NOT_DONE_FLAG, not a get-or-create's existing object); with
    ``policy.empty_result_is_error``, an empty result of a read; an Elasticsearch ``_bulk`` body
    with failed operations, on any step but a model call (batch_results.bulk_error_rows). The result rows are taken out once
    and every test reads them there, then the hits are scattered back: each test taken out on its
    own (on_rows) filtered and gathered the outputs again and evaluated its mask twice, ~3x the
    regexes' own cost (issue 15 item 4)."""
    out, se = pl.col("output"), pl.col("is_side_effect")
    rows = df.select(
        pl.int_range(pl.len(), dtype=pl.UInt32).alias("_row"), "kind", "output", "is_side_effect", "call", "args"
    ).filter(pl.col("kind").is_in(["tool", "retriever", "handoff"]) & out.is_not_null())
    shaped = out.str.contains(ERROR_SHAPED).fill_null(False)
    # The same shapes one level down, in the content of a recorded LangChain ToolMessage
    # (tool_messages: MLflow's LangChain tracer keeps the message whole).
    shaped = shaped | tool_message_error(out, ERROR_SHAPED)
    # A SQL write whose result is the command tag of no row changed ("UPDATE 0": result_verdict),
    # bare or as a ToolMessage's content.
    shaped = shaped | out.str.contains(NO_ROWS_CHANGED).fill_null(False) | tool_message_error(out, NO_ROWS_CHANGED)
    if policy.empty_result_is_error:
        # An empty result is an error only where the tool's contract is to return a thing: a read
        # by its name (policy tools.read_only: get, read, fetch, lookup...), not a write (a write
        # that returns {} or 204 did its job), not a command whose output is whatever it printed
        # (a shell command that printed nothing); and not an empty list, nor anything empty from a
        # tool that searches or lists: "none found" is one of the answers such a tool gives.
        # The names are matched once per distinct call (a few hundred).
        calls = rows.get_column("call")
        reads = _map_distinct(pl.col("call"), calls, pl.col("name").str.contains(policy.read_only), pl.Boolean())
        listing = _map_distinct(pl.col("call"), calls, pl.col("name").str.contains(COLLECTION_TOOL), pl.Boolean())
        empty = out.str.contains(EMPTY_RESULT) & ~out.str.contains(r"^\s*\[\s*\]\s*$")
        shaped = shaped | (empty & reads.fill_null(False) & ~se & ~listing.fill_null(False)).fill_null(False)
    # A read that lists records whose only failure is a record's own status is a listing, not
    # a failed call (result_verdict.record_status_only: list_jobs -> some jobs failed).
    calls = rows.get_column("call")
    reading = _map_distinct(
        pl.col("call"), calls, pl.col("name").str.contains(COLLECTION_TOOL) | pl.col("name").str.contains(policy.read_only),
        pl.Boolean(),
    ).fill_null(False)
    # So is a write's result that states its own verdict before any list and holds failed ones only
    # in a list (a payment's {"status": "scheduled", "recent_payments": [{"status": "failed"}, ...]}):
    # its own verdict is read by write_verdict_failed below. Read again on those few rows only (on_rows).
    # Each mask is a column, computed once: on_rows reads its mask three times (filter, position,
    # gather), and an expression there was evaluated again each time, with every mask inside it
    # (the ERROR_SHAPED regex, the call lookups): 0.24 CPU s at 584k spans, for a few rows.
    rows = rows.with_columns(shaped.alias("_shaped"), reading.alias("_reading"))
    shaped, reading = pl.col("_shaped"), pl.col("_reading")
    rows = rows.with_columns((shaped & se).alias("_m_own"))
    rows = rows.with_columns(on_rows(pl.col("_m_own"), out, lambda e: e.str.contains(OWN_VERDICT_STATED)).fill_null(False).alias("_own"))
    rows = rows.with_columns((shaped & ((reading & ~se) | pl.col("_own"))).alias("_m_listed"))
    listed = on_rows(pl.col("_m_listed"), out, lambda e: record_status_only(e, ERROR_SHAPED))
    # A read of one record's state (get_job_status -> {"status": "failed"}) answered it: data
    # (result_verdict.record_state_read).
    rows = rows.with_columns((shaped & reading & ~se & (pl.col("kind") == "tool")).alias("_m_state"))
    state = on_rows(pl.col("_m_state"), out, lambda e: record_state_read(e, ERROR_SHAPED))
    shaped = shaped & ~listed.fill_null(False) & ~state.fill_null(False)
    # A killed process's partial output and an exception caught beside the result, handed back OK
    # (returned_errors: exit 137 with the stdout printed so far; {"rows": [], "error": "TypeError: ..."}).
    shaped = shaped | returned_error(out, reading, se)
    # A web page where the answer was expected: a server's error page, a sign-in page sent over an
    # expired session (html_pages: nginx's 413 page after curl exited 0).
    shaped = shaped | html_page_returned(out)
    # Side effects are tool spans (a tool role), so their results are among these rows; the
    # not-done flag and the write's own verdict (result_verdict.write_verdict_failed: a payment
    # API's 200 with {"status": "declined"}, not the state the write asked to set) are read on theirs only.
    not_done = rows.filter(se).filter(
        (out.str.contains(NOT_DONE_FLAG) & ~_existing_returned(out))
        | write_verdict_failed(out, pl.col("args"))
        # A list the write asked to set, answered empty (result_verdict.dropped_list_fields: GitHub's
        # assignees silently dropped without push access).
        | dropped_list_fields(out, pl.col("args"))
    )
    hits = pl.concat([rows.filter(shaped).get_column("_row"), not_done.get_column("_row"), bulk_error_rows(df)]).unique()
    return pl.repeat(False, df.height, dtype=pl.Boolean, eager=True).scatter(hits, True).alias("error_shaped")


def prepare(spans: pl.DataFrame, policy: Policy, stages: Stages | None = None) -> Context:
    """Derive the shared columns and the per-run facts over the whole table at once.

    Runs are keyed by ``run_key`` (a u32 code of ``run_id``) and spans by 64-bit hashes of their
    ids for sorting and joining: integer keys are several times faster than strings on millions
    of rows, and the strings stay for display. Everything read from the raw text columns
    (``attributes``, ``input``) is derived first, and those columns are then dropped, so the
    sorted working table stays narrow. ``stages``: where to record the time of each step.
    """
    st = stages if stages is not None else Stages()
    # Usage totals an instrumentation repeats on enclosing spans are counted once (conventions.rollups).
    spans = without_rollups(spans)
    is_tool = pl.col("kind") == "tool"
    is_llm = pl.col("kind") == "llm"
    err_text = pl.concat_str(
        [pl.col("error_type").fill_null(""), pl.col("error_message").fill_null("")], separator=" "
    )
    http = pl.coalesce(
        # "status_code" is a rare needle: read in the spans holding one (conventions.registry).
        # Not on an ASGI event span: opentelemetry-instrumentation-asgi opens an internal
        # "{method} {route} http send" span per ASGI message (asgi.event.type http.response.start),
        # carrying the status the server answered with. That is the server span's outcome passed to
        # the client, not a failure of its own (a 500 sent after an agent failed is that failure,
        # told), and it sits outside any agent: read as a failure it was an orphan of its own.
        pl.when(~where_contains("attributes", "status_code").str.contains("asgi.event.type", literal=True))
        .then(where_contains("attributes", "status_code").str.extract(HTTP_IN_ATTRS, 1)),
        # Error texts are only read on spans that carry an error type or message (masked first:
        # a regex skips the nulls).
        pl.col("error_type").str.extract(r"^\s*(\d{3})\s*$", 1),
        pl.when(pl.col("status") == "error").then(pl.col("error_message")).str.extract(HTTP_IN_TEXT, 1),
        pl.when(pl.col("status") == "error").then(pl.col("error_message")).str.extract(HTTP_IN_REQUESTS_ERROR, 1),
        pl.when(
            on_rows(
                pl.col("error_message").is_not_null(),
                pl.col("error_message"),
                lambda e: e.str.contains(r"(?i)too many requests|rate limit"),
            )
        ).then(pl.lit("429")),
    ).cast(pl.Int64, strict=False)
    # Only model calls can be cut short, so only their texts are read (taken out with on_rows: a
    # literal scan over every span's attributes paid for all of them). Nearly every model call
    # reports a finish reason; the regex only reads those whose text holds a truncating one at all
    # (it needs "length" or "max_", in any ASCII letter case: `(?i-u)`, the regex engine's literal
    # search, ~3x faster than contains_any(ascii_case_insensitive=True) on these texts).
    # Each test reads only the rows the one before it kept (_text_where: the others are blanked).
    # The model calls' texts are taken out once (on_rows) and the chain runs on them: blanking the
    # other rows (_text_where over the whole column) copied every model call's attributes again at
    # each step, and the output hints scanned every span's output.
    attrs, out = pl.col("attributes"), pl.col("output")
    # The attributes of the spans holding a rare needle, the others blanked (the prefilter pass).
    rare = pl.col(RARE_ATTRIBUTES)

    def attrs_cut(e: pl.Expr) -> pl.Expr:
        finish = e.str.contains("finish", literal=True) | e.str.contains("stop_reason", literal=True)
        hint = _text_where(finish, e).str.contains("(?i-u)length|max_")
        return _text_where(hint, e).str.contains(TRUNCATED_FINISH)

    def output_cut(e: pl.Expr) -> pl.Expr:
        hint = e.str.contains("length", literal=True) | e.str.contains("max_", literal=True)
        return _text_where(hint, e).str.contains(TRUNCATED_FINISH)

    truncated = on_rows(is_llm, attrs, attrs_cut).fill_null(False) | on_rows(is_llm, out, output_cut).fill_null(False)
    # Ordered within runs first, while the table holds only the loaded columns: the sort copies
    # every column, and after the text pass there are twice as many (issue 15 item 4). Loaders
    # write a run's spans together and mostly in time order; when each run already is in (start,
    # line) order the sort is skipped. The text pass below is row by row, so it gives the same
    # rows before or after the sort.
    order = ["run_key", "start_time", "source_line", "span_h"]
    spans = spans.with_columns(
        pl.col("run_id").cast(pl.Categorical).to_physical().alias("run_key"),
        pl.col("span_id").hash(HASH_SEED).alias("span_h"),
    )
    spans = spans.sort(order, nulls_last=True) if not _in_order(spans, order) else spans
    st.lap("prepare: order within runs")
    # Lazily, so polars computes a sub-expression several columns share (a convention's literal
    # prefilter, a masked text column) once: the eager with_columns evaluates each copy again.
    df = (
        spans.lazy()
        # Masks conventions share (their literal prefilters), once, before the expressions reading
        # them; preparation's own columns, which read none of them, are computed in the same pass
        # (polars computes a pass's columns side by side: alone, the masks left a core idle).
        .with_columns(
            *conventions.prefilter_exprs(),
            pl.when(pl.col("parent_id").is_not_null())
            .then(pl.col("parent_id").hash(HASH_SEED))
            .alias("parent_h"),
            # Tool arguments compared without whitespace: the same call re-serialised is the same call.
            # Only tool inputs that contain whitespace go through the regex.
            # Only tool inputs go through the regex (taken out of the column first: see base.on_rows).
            pl.coalesce(
                on_rows(
                    is_tool & pl.col("input").is_not_null(),
                    pl.col("input"),
                    lambda e: e.str.replace_all(r"\s+", ""),
                ),
                pl.col("input"),
            ).alias("args"),
            # The task a run was given (its root's input): a restart is given the same task again.
            on_rows(
                pl.col("parent_id").is_null(), pl.col("input"), lambda e: e.str.replace_all(r"\s+", "")
            ).alias("task"),
            (is_llm & truncated).alias("cut_short"),
            # The context window the request itself set (Ollama's num_ctx option, in the model call's
            # invocation parameters): context_overflow reads a prompt as long as it as cut to fit.
            on_rows(is_llm, attrs, lambda e: _text_where(e.str.contains("num_ctx", literal=True), e).str.extract(NUM_CTX, 1))
            .cast(pl.Int64, strict=False)
            .alias("prompt_window"),
            on_rows(
                pl.col("error_type").is_not_null() | pl.col("error_message").is_not_null(),
                err_text,
                # (A token quota's throttle is no window exceeded: TOKEN_THROTTLE_TEXT.)
                lambda e: e.str.contains(CONTEXT_OVERFLOW_TEXT) & ~e.str.contains(TOKEN_THROTTLE_TEXT),
            )
            .fill_null(False)
            .alias("overflow_text"),
        )
        # The conventions layer reads its raw signals while the text columns are still here; so do
        # preparation's columns that look for rare needles in the attributes (status_code,
        # onfidence, enduser.id, time_synthesized: conventions.registry.RARE_ATTRIBUTE_NEEDLES),
        # which read the prefilter's column of the spans holding one instead of every span's text
        # (a literal scan of the 189 MB of attributes each at 584k spans; issue 15 item 4).
        .with_columns(
            *conventions.extract_exprs(),
            *http_target_exprs(),
            http.alias("http_status"),
            pl.coalesce(
                where_contains("attributes", "onfidence").str.extract(CONFIDENCE, 1),
                where_contains("output", "onfidence").str.extract(CONFIDENCE, 1),
            )
            .cast(pl.Float64, strict=False)
            .alias("confidence"),
            _text_where(rare.str.contains("enduser.id", literal=True), rare)
            .str.contains(PERSON)
            .fill_null(False)
            .alias("person"),
            # Loaders of sources without clocks synthesise an order and say so; timing rules (backoff
            # spacing, quiet gaps) cannot judge such runs.
            rare.str.contains('"time_synthesized"', literal=True).fill_null(False).alias("synthetic"),
        )
        .drop("attributes", "input", RARE_ATTRIBUTES)
        .collect(engine="in-memory")
    )
    # The columns in their usual order (the keys beside the other derived ids), and one chunk each
    # (derived columns come out as one chunk, and a table of mixed chunking is copied whole by
    # polars at the next step, later and wider).
    later = ("http_status", "confidence", "person", "synthetic")
    rest = [c for c in df.columns if c not in ("run_key", "span_h", *later)]
    at = rest.index("parent_h")
    rest = [*rest[:at], "run_key", "span_h", *rest[at:]]
    at = rest.index("task") + 1
    rest = [*rest[:at], *later[:3], *rest[at:]]
    at = rest.index("overflow_text") + 1
    df = df.select([*rest[:at], later[3], *rest[at:]]).rechunk()
    st.lap("prepare: text columns and convention signals")

    # Position within the run without a group-by: the table is sorted by run, so it is the row
    # index minus the index of the run's first row.
    idx = pl.int_range(pl.len(), dtype=pl.Int64)
    same_run_as_next = pl.col("run_key").shift(-1) == pl.col("run_key")
    first_of_run = (pl.col("run_key") != pl.col("run_key").shift(1)).fill_null(True)
    t = pl.coalesce("start_time", "end_time")
    agents = df.get_column("agent")
    span_k = pl.struct("run_key", "span_h").hash(HASH_SEED)
    parent_k = pl.struct("run_key", pl.col("parent_h").alias("span_h")).hash(HASH_SEED)
    df = df.with_columns(
        (idx - pl.when(first_of_run).then(idx).forward_fill()).alias("seq"),
        t.alias("t"),
        pl.when(same_run_as_next).then(t.shift(-1)).alias("next_t"),
        pl.when(is_tool).then(pl.coalesce("tool", "name")).alias("call_tool"),
        pl.coalesce("tool", "name").alias("step_name"),
        # An HTTP request is named by its method and target (http_label), not its bare method.
        pl.coalesce("tool", "model", http_label(), "name", "kind").alias("call"),
        _map_distinct(pl.col("agent"), agents, _norm_name(pl.col("name")), pl.String()).alias("agent_norm"),
        _map_distinct(
            pl.col("agent"), agents, pl.col("name").str.contains(policy.escalation_targets), pl.Boolean()
        )
        .fill_null(False)
        .alias("agent_is_human"),
        span_k.alias("span_k"),
        parent_k.alias("parent_k"),
    ).drop("_http_host", "_http_path")
    # Roots: no parent, or a parent that is not in the run (a partial export): a set lookup.
    df = df.with_columns(
        (pl.col("parent_id").is_null() | ~pl.col("parent_k").is_in(df.get_column("span_k").implode())).alias(
            "is_root"
        )
    )
    st.lap("prepare: positions, keys, roots")
    failed = (pl.col("status") == "error") | (pl.col("http_status") == 429) | (pl.col("http_status") >= 500)
    transfer = pl.col("call_tool").str.extract(TRANSFER_TOOL, 1)
    masks = _role_masks(df.get_column("step_name"), policy)
    mask = pl.col("step_name").replace_strict(masks["name"], masks["mask"], default=0, return_dtype=pl.UInt32)
    df = df.with_columns(
        failed.fill_null(False).alias("failed"),
        pl.when(pl.col("kind") == "handoff")
        .then(pl.coalesce("handoff_to", transfer))
        .otherwise(transfer)
        .alias("handoff_target"),
        pl.when(pl.col("http_status").is_not_null())
        .then(pl.concat_str([pl.lit("HTTP "), pl.col("http_status").cast(pl.String)]))
        .when(pl.col("error_type").is_not_null())
        .then(pl.col("error_type"))
        .otherwise(pl.lit("an error"))
        .alias("error_label"),
        mask.alias("_roles"),
    )
    # Framework conventions that change what a failure is (a pause is not an error) or add
    # handled-error and agent-error facts: before anything is derived from ``failed``.
    st.lap("prepare: failures and tool roles")
    df = conventions.apply_status(df, st)
    st.lap("prepare: conventions (status)")
    # Tool roles apply to tool spans (by tool name); acknowledgement and approval to any step.
    tool_only = {"is_side_effect", "is_irreversible", "is_escalation_tool", "is_delivery", "is_fallback_tool"}
    df = df.with_columns(
        [
            (((pl.col("_roles") & (1 << i)) != 0) & (is_tool if k in tool_only else pl.lit(True))).alias(k)
            for i, k in enumerate(_ROLE_BITS)
        ]
    ).drop("_roles")
    # A handoff tool is named by the agent it hands to (handoff_to_refund_agent, transfer_to_refund_agent:
    # the OpenAI Agents SDK's default_tool_name, Agent Framework's handoff tools): its name says who
    # takes over, not an act, so it is never an irreversible action itself.
    # A tool whose own description says it delivers a message about an irreversible act (a
    # deployment notice posted to a webhook) does not do the act (conventions.tool_descriptions).
    df = df.with_columns(
        pl.col("is_irreversible") & pl.col("handoff_target").is_null() & ~only_notifies(df, policy.irreversible)
    )
    df = df.with_columns(_error_shaped(df, policy))
    to_human = pl.col("handoff_target").str.contains(policy.escalation_targets).fill_null(False)
    person = pl.col("person")
    # A person's turn: a human span, a span of a signed-in end user, or a tool that returned what
    # the person typed (PERSON_INPUT_TOOLS).
    typed = (pl.col("kind") == "tool") & pl.col("step_name").is_in(PERSON_INPUT_TOOLS) & ~pl.col("failed")
    # A question put to a person that nobody answered (pause_kind approval: an Agent Framework
    # RequestInfoExecutor request with no response, conventions.pauses) is no turn of theirs.
    human = ((pl.col("kind") == "human") & (pl.col("pause_kind") != "approval").fill_null(True)) | person | typed
    # A person's turn reviews what the agent does next only when it answers the agent: the opening
    # request of a conversation (no agent turn before it) asks for the action, it does not approve it.
    agent_spoke_before = _answers_agent(df, human)
    # A step named for acknowledgement (wait_for_ack, await_acknowledgement) whose own result says
    # nobody acknowledged (the incident still "triggered": PagerDuty incident status; Opsgenie
    # "acknowledged": false) waited for one and got none: it is no acknowledgement.
    acked_step = pl.col("is_ack_step") & ~(
        (pl.col("incident_state") == "triggered").fill_null(False)
        | on_rows(pl.col("is_ack_step"), pl.col("output"), lambda e: e.str.contains(NOT_ACKNOWLEDGED)).fill_null(False)
    )
    # A request for a person's decision (an escalation tool, or a tool named for asking approval:
    # request_approval, ask_for_confirmation) whose own result is the decision: the person answered
    # it (an acknowledgement), and an approval reviews what the agent does next.
    from forensics.detectors.declined_reviews import approved_record, declined_by_person
    from forensics.detectors.unguarded_action import APPROVAL_REQUEST

    # The names are matched once per distinct step name (step_name: the tool, else the span's name).
    asks_approval = (pl.col("kind") == "tool") & _map_distinct(
        pl.col("step_name"), df.get_column("step_name"), pl.col("name").str.contains(APPROVAL_REQUEST), pl.Boolean()
    ).fill_null(False)
    # Each mask is a column before the next test reads it: on_rows evaluates its mask twice, so
    # masks nested as expressions were evaluated again at every level (the name regex ~20 times).
    df = df.with_columns(((pl.col("is_escalation_tool") | asks_approval) & ~pl.col("failed")).alias("_asked"))
    asked = pl.col("_asked")
    df = df.with_columns(
        (asked & on_rows(asked, pl.col("output"), lambda e: e.str.contains(PERSON_DECIDED)).fill_null(False)).alias(
            "_decided"
        )
    )
    decided = pl.col("_decided")
    approved = decided & on_rows(decided, pl.col("output"), lambda e: e.str.contains(PERSON_APPROVED)).fill_null(False)
    # A person's answer to the agent, as a column: only its few rows are read for a declining decision.
    df = df.with_columns((human & agent_spoke_before).alias("_heard"))
    heard = pl.col("_heard")
    df = df.with_columns(
        (~pl.col("failed") & ~pl.col("error_shaped")).alias("succeeded"),
        _map_distinct(
            pl.col("handoff_target"), df.get_column("handoff_target"), _norm_name(pl.col("name")), pl.String()
        ).alias("target_norm"),
        to_human.alias("to_human"),
        (pl.col("is_escalation_tool") | to_human | pl.col("pause_escalation")).alias("is_escalation"),
        (
            (
                (pl.col("kind") == "guardrail")
                | pl.col("is_approval_step")
                | (heard & ~on_rows(heard, pl.col("output"), declined_by_person).fill_null(False))
                | pl.col("state_ack")
                | approved | approved_record()
            )
            # An approval the step's own rule gave when nobody answered (a default on timeout:
            # conventions.approval_deciders) is no person's decision, whatever span records it.
            & ~pl.col("approved_by_default")
        ).alias("is_review"),
        (human | acked_step | pl.col("agent_is_human") | pl.col("state_ack") | decided).alias("is_ack"),
        decided.alias("decided_in_result"),
    ).drop("_asked", "_decided", "_heard")
    # A failure whose own child failed is the same error travelling up; rules about "an error"
    # look at where it started, not every ancestor it passed through.
    failed_parents = df.filter(pl.col("failed")).get_column("parent_k").implode()
    df = df.with_columns(pl.col("span_k").is_in(failed_parents).alias("has_failed_child"))
    # Conventions that relate spans to each other (attempts of one request, declared fallbacks).
    st.lap("prepare: errors, escalations, reviews")
    df = conventions.apply_structure(df, st)
    st.lap("prepare: conventions (structure)")
    # A failure that came up from a child's retried attempts (an exhausted or stormy retry chain):
    # the retrying was the handling; retry_storm judges it, not unhandled_error.
    retried_children = (
        df.filter(pl.col("failed") & (pl.col("attempt_count") > 1)).get_column("parent_k").implode()
    )
    df = df.with_columns(pl.col("span_k").is_in(retried_children).alias("retried_below"))
    facts = run_facts(df)
    st.lap("prepare: run facts")
    runs = conventions.apply_runs(df, facts, st)
    st.lap("prepare: conventions (runs)")
    # Keep the working table narrow: what only preparation needed goes. The 64-bit keys stay
    # (span_k, and parent_k: the parent's span_k): detectors join spans to their parents on them,
    # not on the (run_id, span_id) strings.
    spent = [
        "name",
        "tool",
        "handoff_to",
        "error_message",
        "source_line",
        "parent_h",
        "step_name",
        "agent_is_human",
        "is_escalation_tool",
        "is_ack_step",
        "is_approval_step",
        "person",
        "http_status",
        "synthetic",
        *conventions.private_columns(df),
    ]
    return Context(spans=df.drop(spent), runs=runs, policy=policy, stages=st)
