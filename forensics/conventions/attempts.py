"""Attempt groups: the spans that are one request sent again.

Two spans are attempts of one request when

* they are HTTP client spans with the same method and URL under one parent (OpenTelemetry HTTP
  semantic conventions: "each time an HTTP request gets resent by the client", a new client span is
  created under the same parent, with ``http.request.resend_count`` set from the second one), or
* they are database client spans of the same system and statement under one parent (OpenTelemetry
  database semantic conventions: ``db.system.name``/``db.system``, ``db.query.text``/``db.statement``,
  the span named ``{db.operation.name} {target}``): a transaction retried after a deadlock or a
  serialization failure issues the same statement again, from the same caller, or
* they are calls (tool, model, retriever) by the same agent to the same tool or model with the same
  arguments: a re-issued tool call, a LangChain ``RunnableRetry`` attempt (its child runs carry the
  tag ``retry:attempt:<n>`` from the second attempt), a tenacity- or LiteLLM-retried model call, or
* they are runs of one LangGraph task: a node re-run by its ``RetryPolicy`` (the node's own run,
  named after the node, with the same ``langgraph_checkpoint_ns`` under the same graph run), or
* they are invocations of one agent with the same input (or none recorded) under one caller: the application's own retry
  loop around the agent (Semantic Kernel's ``invoke_agent <name>`` spans). A node or agent whose inner
  calls already form attempt groups across its runs is not grouped again: one attempt level per request.

Columns: ``attempt_group`` (a 64-bit key, null for spans that are no call), ``attempt_index``
(0-based, in run order), ``attempt_count``, ``is_last_attempt``, ``group_recovered`` (a later
attempt of the group succeeded, or a declared fallback, ``fallback_of``, answered in place of its last one), ``retry_after_s`` (a ``Retry-After`` the response asked for) and
``retry_after_honoured`` (the next attempt waited at least that long), ``http_attempt`` (the group
is HTTP resends), ``explicit_retry`` (the instrumentation itself says this span is a resend).
"""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.conventions.registry import Convention, Signal, json_scalar, register, where_contains

CALL_KINDS: Final = ("tool", "llm", "embedding", "retriever")
#: A Retry-After honoured within this fraction (clocks of client spans are not exact).
RETRY_AFTER_TOLERANCE: Final = 0.9
#: Two waits closer than this are one fixed interval, told apart only by the timer and the
#: callbacks around the sleep (a few ms); further apart, a policy's jitter drew them. Not the
#: wait floor: LangGraph's default RetryPolicy draws 0.5 s + U(0, 1) then 1 s + U(0, 1), which
#: lie within 0.1 s of each other one time in ten.
SAME_WAIT_S: Final = 0.02
#: The closing sentence of pydantic-ai's retry prompt (RetryPromptPart.model_response).
REPROMPT: Final = "Fix the errors and try again."
#: Every framework's re-ask of a rejected answer: pydantic-ai's retry prompt (REPROMPT); instructor's
#: reask handlers, which send the validation error back and ask again until the retry policy
#: (max_retries, or a tenacity Retrying) gives up and InstructorRetryException goes up: TOOLS and
#: Anthropic tools modes 'Validation Error found:\n{exception}\nRecall the function correctly, fix
#: the errors', FUNCTIONS mode 'Recall the function correctly, fix the errors, exceptions found', JSON
#: modes 'Correct your JSON ONLY RESPONSE, based on the following errors:'
#: (instructor-ai/instructor instructor/providers/openai/utils.py reask_tools, reask_default,
#: reask_md_json; instructor/providers/anthropic/utils.py reask_anthropic_tools).
REPROMPTS: Final = (
    REPROMPT,
    "Recall the function correctly, fix the errors",
    "Correct your JSON ONLY RESPONSE, based on the following errors:",
)
#: The run LangChain's ``Runnable.with_retry`` makes (``RunnableRetry``, named after its class).
RUNNABLE_RETRY: Final = "RunnableRetry"
#: The Retry-After a provider writes in its error text, which the SDK raises as the exception's
#: message: Azure OpenAI's 429 body ("Please retry after 120 seconds."), OpenAI's ("Please try again
#: in 20s.", "in 120ms"); openai-python puts the body in the RateLimitError's message
#: (_base_client.py _make_status_error), also spelled out ("Please try again in 500 milliseconds.",
#: as a coding client's retry parser is tested on OpenAI's text). A minute form ("1m30s") reads as
#: its minutes alone: a Retry-After read short only ever excuses a retry. A unit is a whole word or
#: ends where a number starts ("1m30s"): the m of "milliseconds" or of "2 more seconds" is no minute.
#: The header itself quoted in an error text ("429 Too Many Requests (Retry-After: 10)", as an app's
#: HTTP client logs it) is its seconds (RFC 9110 10.2.3 delay-seconds).
RETRY_AFTER_TEXT: Final = (
    r"(?i)(?:retry[ -]after:?|try again in)\s+(\d+(?:\.\d+)?)\s*"
    r"(milliseconds?|ms|seconds?|secs?|minutes?|mins?|m|s)?(?:[^a-z]|$)"
)
#: An argument that only numbers the attempt (tenacity's RetryCallState.attempt_number; a wrapper
#: passing its attempt along): calls that differ in it alone are one request sent again.
ATTEMPT_ARG: Final = r'"(?:attempt|attempt_number|attempt_no|retry_attempt|retry_count|retry_number)"\s*:\s*\d+\s*,?'
#: The metadata LangGraph gives every run of a task (langgraph/pregel/_algo.py prepare_single_task),
#: as the tracers export it: LangSmith's extra.metadata, OpenInference's ``metadata`` JSON string,
#: OpenLLMetry's ``traceloop.association.properties.<key>``.
LANGGRAPH_KEY: Final = r"(?:[\w.]*\.)?"


def _extract() -> list[pl.Expr]:
    return [
        json_scalar("attributes", r"http\.request\.method|http\.method", "method").alias("_cv_http_method"),
        json_scalar("attributes", r"url\.full|http\.url", ("url.full", "http.url")).alias("_cv_http_url"),
        json_scalar(
            "attributes",
            # The OpenAI Python client sends its own retry number as the x-stainless-retry-count
            # request header (openai/_base_client.py); instrumentations capture it like any header.
            r"http\.request\.resend_count|http\.resend_count|http\.retry_count|http\.request\.header\.x-stainless-retry-count",
            "count",
        )
        .cast(pl.Int64, strict=False)
        .alias("_cv_resend"),
        where_contains("attributes", "retry:attempt:")
        .str.extract(r"retry:attempt:(\d+)", 1)
        .cast(pl.Int64, strict=False)
        .alias("_cv_retry_tag"),
        json_scalar("attributes", r"db\.system\.name|db\.system", "db.system").alias("_cv_db_system"),
        # A LangGraph task's runs: run_with_retry (langgraph/pregel/_retry.py) calls
        # task.proc.invoke(task.input, config) again after each retryable failure, with the same
        # config, so each attempt is a new run of the node (run_name = the node's name) under the
        # same graph run, with the same metadata: langgraph_node, langgraph_step and
        # langgraph_checkpoint_ns ("<node>:<task id>", unique to the task within its superstep).
        json_scalar("attributes", LANGGRAPH_KEY + "langgraph_node", "langgraph_node").alias("_cv_lg_node"),
        json_scalar("attributes", LANGGRAPH_KEY + "langgraph_checkpoint_ns", "langgraph_checkpoint_ns").alias("_cv_lg_task"),
        json_scalar("attributes", LANGGRAPH_KEY + "langgraph_step", "langgraph_step").alias("_cv_lg_step"),
        # The whole statement (json_scalar stops at the first comma: "SELECT a, b" would share a key
        # with "SELECT a, c").
        where_contains("attributes", "db.")
        .str.extract(r'"(?:db\.query\.text|db\.statement)"\s*:\s*"((?:[^"\\]|\\.)*)"', 1)
        .alias("_cv_db_query"),
        # pydantic-ai's retry prompt: RetryPromptPart.model_response() ends every re-prompt (a tool's
        # ModelRetry, arguments or output that failed validation, plain text where a tool call was
        # required) with this sentence (pydantic_ai/messages.py); the model call that carries it in
        # its input is sent because the model's previous answer was rejected.
        # Only the newest request counts: pydantic-ai sends the whole message history with every
        # model call, so a retry prompt answered turns ago is still in the input of every later
        # call. The request the model is asked to answer is what follows its last response.
        # instructor's re-asks (REPROMPTS) are read the same way: each re-ask is one more attempt of
        # the same extraction, the model's rejected answer then the validation error after it.
        where_contains("input", REPROMPTS)
        .str.extract(r'(?s)^.*"assistant"(.*)$', 1)
        .fill_null(where_contains("input", REPROMPTS))
        .pipe(_holds_any, REPROMPTS)
        .fill_null(False)
        .alias("_cv_reprompt"),
        # The client's own retry limit, written with its failed attempt: Claude Code's api_error
        # lines (maxRetries, beside retryAttempt and retryInMs), a client's max_retries parameter.
        json_scalar("attributes", r"maxRetries|max_retries", "etries").cast(pl.Int64, strict=False).alias("_cv_max_retries"),
        # The wait the client itself scheduled before its next attempt, written with the failed one
        # (Claude Code's api_error lines: retryInMs, the CLI's "Retrying in N seconds"): its backoff,
        # where the gap between two error lines also holds each attempt's own time on the wire.
        json_scalar("attributes", r"retryInMs", "retryInMs").cast(pl.Float64, strict=False).alias("_cv_retry_in_ms"),
        # The millisecond form first, as the OpenAI client reads it: _parse_retry_after_header
        # (openai-python _base_client.py) tries the non-standard retry-after-ms (Azure OpenAI sends
        # it with its 429s) before retry-after, and sleeps that long before its next attempt.
        pl.coalesce(
            json_scalar("attributes", r"http\.response\.header\.retry-after-ms|retry-after-ms|Retry-After-Ms", "etry-")
            .cast(pl.Float64, strict=False)
            / 1000,
            json_scalar("attributes", r"http\.response\.header\.retry-after|retry-after|Retry-After", "etry-")
            .cast(pl.Float64, strict=False),
            _retry_after_in_text(pl.col("error_message")),
            # The span's status may say less than its exception event: Semantic Kernel's
            # ServiceResponseException reads "service failed to complete the prompt" and the
            # provider's 429 text ("Please retry after 28 seconds.") is only in str() of the
            # exception the SDK records (opentelemetry-sdk Span.record_exception: exception.message).
            _retry_after_in_text(
                where_contains("attributes", "exception.message").str.extract(
                    r'"exception\.message"\s*:\s*"((?:[^"\\]|\\.)*)"', 1
                )
            ),
        ).alias("_cv_retry_after"),
    ]


def _retry_after_in_text(text: pl.Expr) -> pl.Expr:
    """Seconds of the wait an error text asks for (:data:`RETRY_AFTER_TEXT`), else null."""
    said = text.str.extract_groups(RETRY_AFTER_TEXT)
    value = said.struct.field("1").cast(pl.Float64, strict=False)
    unit = said.struct.field("2").str.to_lowercase()
    milli = (unit == "ms") | unit.str.starts_with("milli")
    return pl.when(milli).then(value / 1000).when(unit.str.starts_with("m")).then(value * 60).otherwise(value)


def _structure(df: pl.DataFrame) -> pl.DataFrame:
    http = pl.col("_cv_http_method").is_not_null() & pl.col("_cv_http_url").is_not_null()
    http_key = pl.when(http).then(
        pl.struct("run_key", "parent_k", pl.col("_cv_http_method").str.to_uppercase(), "_cv_http_url").hash(1)
    )
    db = pl.col("_cv_db_system").is_not_null()
    # A statement issued again by the same caller: the same system and query text, or, where the
    # query text is not recorded (it is opt-in), the same span name ({db.operation.name} {target}).
    db_key = pl.when(db).then(
        pl.struct(
            "run_key", "parent_k", pl.col("_cv_db_system").str.to_lowercase(), pl.coalesce("_cv_db_query", "name")
        ).hash(3)
    )
    # Where the arguments are not recorded (a model call whose instrumentation keeps no input), the
    # only evidence that two calls are one request is the caller: a resend comes from the same
    # parent (LiteLLM's num_retries and tenacity re-call inside the one completion; LangChain's
    # RunnableRetry under the one retry run), while the same model called for the next item of a
    # batch, under that item's own span, is a new request.
    caller = pl.when(pl.col("args").is_null()).then(pl.col("parent_k"))
    # The attempt number a wrapper records among the arguments is no part of the request.
    numbered = pl.col("args").str.contains("ttempt", literal=True) | pl.col("args").str.contains("etry_", literal=True)
    request = pl.when(numbered).then(pl.col("args").str.replace_all(ATTEMPT_ARG, "")).otherwise(pl.col("args"))
    call_key = pl.when(~http & pl.col("kind").is_in(list(CALL_KINDS))).then(
        pl.struct("run_key", "agent", "kind", "call", request.alias("args"), caller.alias("_caller")).hash(2)
    )
    # LangChain's RunnableRetry invokes the runnable it wraps once per attempt, each a child run of
    # the retry run (retry.py _invoke: super().invoke(input, _patch_config(...)) in the tenacity
    # loop): its children with the same input are attempts of one request, whatever their run type
    # (a wrapped RunnableLambda or sequence is a chain run, not a tool).
    retry_runs = df.filter(pl.col("name") == RUNNABLE_RETRY).get_column("span_k").implode()
    retry_key = pl.when(pl.col("parent_k").is_in(retry_runs)).then(
        pl.struct("run_key", "parent_k", "call", pl.col("args")).hash(5)
    )
    # A LangGraph node's own run (named after the node: its metadata's langgraph_node is its name;
    # the runs inside it inherit the metadata under their own names), keyed by its task: the runs
    # of one task under one graph run are its RetryPolicy's attempts. A task id is new in every
    # superstep and for every Send, so a node run again by the graph's edges, or fanned out over
    # items, is another request. Without the checkpoint namespace, the superstep stands in.
    node = (
        pl.col("kind").is_in(["chain", "agent"])
        & (pl.col("_cv_lg_node") == pl.col("name")).fill_null(False)
    )
    task = pl.coalesce("_cv_lg_task", pl.concat_str(pl.lit("step "), "_cv_lg_step"))
    node_key = pl.when(node & task.is_not_null()).then(pl.struct("run_key", "parent_k", "name", task).hash(6))
    # An agent invoked again by the application with the same input, under the same caller: the
    # app's own retry loop around the agent (Semantic Kernel's ChatCompletionAgent.get_response /
    # invoke, each call its own "invoke_agent <name>" span with gen_ai.input.messages, set to ERROR
    # when it raised: semantic_kernel/utils/telemetry/agent_diagnostics/decorators.py). As for a
    # LangGraph node, only where the calls inside are not already attempts of one request.
    # Semantic Kernel writes the input only with its sensitive-data switch on
    # (_set_agent_invocation_input: `if are_sensitive_events_enabled()`), and its older decorators
    # never did: with the input not recorded, the caller is the evidence, as for a model call
    # above. Another agent invocation under the same caller after a success is a new request (a
    # success closes the group, below), so only failures in a row are attempts of one request.
    agent_key = pl.when(
        (pl.col("kind") == "agent") & pl.col("agent").is_not_null() & pl.col("parent_k").is_not_null()
    ).then(pl.struct("run_key", "parent_k", "agent", "args").hash(7))
    df = df.with_columns(
        pl.coalesce(db_key, http_key, call_key, retry_key).alias("attempt_group"),
        pl.coalesce(node_key, agent_key).alias("_cv_node_group"),
        node_key.is_not_null().alias("_cv_lg_run"),
        http.alias("http_attempt"),
    )
    df = df.with_columns(
        pl.coalesce("attempt_group", _one_level(df)).alias("attempt_group")
    )
    # A call that failed because its HTTP request was refused carries that response's Retry-After:
    # the OpenAI and Anthropic clients raise the 429 with the response (openai-python _base_client.py
    # _make_status_error; RateLimitError.response.headers), so whoever calls the model again (a
    # tenacity loop around the SDK call) was asked to wait that long. The HTTP client span under the
    # model call records the header (http.response.header.retry-after). Carried up two levels: the
    # step that failed with that model call (a LangGraph node re-run by its RetryPolicy, a LlamaIndex
    # step) was asked the same wait.
    for _level in range(2):
        df = _carry_retry_after(df, http)
    g = "attempt_group"
    grouped = pl.col(g).is_not_null()
    # Most groups hold one attempt. The positional facts are computed on the few rows of groups
    # with several (sorted by group and run order) and scattered back by row: window functions
    # over hundreds of thousands of one-row groups cost seconds.
    rows = df.select(
        pl.int_range(pl.len(), dtype=pl.UInt32).alias("_row"),
        g,
        "seq",
        "succeeded",
        "t",
        "end_time",
        "_cv_retry_after",
        # A declared fallback that answered in place of this attempt (conventions.fallbacks runs first).
        pl.col("span_id").is_in(df.filter(pl.col("succeeded") & pl.col("fallback_of").is_not_null()).get_column("fallback_of").implode()).alias("_fb_ok"),
    )
    multi = rows.filter(grouped & pl.col(g).is_duplicated()).sort(g, "seq")
    # A request is sent again only after an attempt failed: a call that follows a successful one
    # with the same key is a new request (the next turn of a conversation sends the same model the
    # same unrecorded arguments; a poll repeats a read), so a success closes its group. The key
    # becomes (key, successes before the row in the key), on the few rows of repeated keys.
    ok_before = pl.col("succeeded").cast(pl.Int64).cum_sum() - pl.col("succeeded").cast(pl.Int64)
    starts = (pl.col(g) != pl.col(g).shift(1)).fill_null(True)
    # A resend is sent once the attempt before it has failed, that is after it ended (openai-python
    # _base_client.py _retry_request sleeps after the failed response; tenacity calls again after
    # the exception; an HTTP client resends after the response): a call that started while the one
    # before it was still in flight is another request sent alongside (asyncio.gather, a TaskGroup,
    # ToolNode's parallel tool calls over the same model or tool). It opens a group of its own.
    alongside = (~starts & (pl.col("t") < pl.coalesce("end_time", "t").shift(1))).fill_null(False).cast(pl.Int64)
    in_flight = alongside.cum_sum()
    multi = multi.with_columns(
        pl.struct(
            g,
            (ok_before - pl.when(starts).then(ok_before).forward_fill()).alias("_seg"),
            (in_flight - pl.when(starts).then(in_flight).forward_fill()).alias("_along"),
        )
        .hash(4)
        .alias(g)
    )
    df = df.with_columns(df.get_column(g).scatter(multi.get_column("_row"), multi.get_column(g)).alias(g))
    multi = multi.filter(pl.col(g).is_duplicated()).sort(g, "seq")
    # Within-group positions without window functions (many small groups): the rows are sorted by
    # group, so each fact is a running value minus its value at the group's first or last row.
    first = (pl.col(g) != pl.col(g).shift(1)).fill_null(True)
    last = (pl.col(g) != pl.col(g).shift(-1)).fill_null(True)
    idx = pl.int_range(pl.len(), dtype=pl.Int64)
    ok = pl.col("succeeded").cast(pl.Int64)
    later_ok = ok.cum_sum(reverse=True) - ok  # successes after the row, to the end of the table
    gap = (
        pl.when(~last).then(pl.col("t").shift(-1)) - pl.coalesce("end_time", "t")
    ).dt.total_milliseconds() / 1000
    facts = (
        multi.with_columns(
            (idx - pl.when(first).then(idx).forward_fill()).alias("i"),
            later_ok.alias("_later"),
        )
        .with_columns(
            (pl.when(last).then(pl.col("i") + 1).backward_fill()).alias("n"),
            # Recovered: a later attempt succeeded, or the framework's declared fallback answered
            # in place of the group's last attempt (the request was answered another way).
            (
                ((pl.col("_later") - pl.when(last).then(pl.col("_later")).backward_fill()) > 0)
                | pl.when(last).then(pl.col("_fb_ok")).backward_fill()
            ).alias("rec"),
            (gap >= pl.col("_cv_retry_after") * RETRY_AFTER_TOLERANCE).fill_null(False).alias("hon"),
        )
        .select("_row", "i", "n", "rec", "hon")
    )
    at = facts.get_column("_row")
    single = pl.when(grouped)
    base = df.select(
        single.then(pl.lit(0, dtype=pl.Int64)).alias("attempt_index"),
        single.then(pl.lit(1, dtype=pl.Int64)).alias("attempt_count"),
        single.then(pl.lit(True)).alias("is_last_attempt"),
        pl.lit(False).alias("group_recovered"),
        pl.lit(False).alias("retry_after_honoured"),
    )
    index = base.get_column("attempt_index").scatter(at, facts.get_column("i"))
    count = base.get_column("attempt_count").scatter(at, facts.get_column("n"))
    is_last = base.get_column("is_last_attempt").scatter(
        at, facts.get_column("i") == facts.get_column("n") - 1
    )
    recovered = base.get_column("group_recovered").scatter(at, facts.get_column("rec"))
    honoured = base.get_column("retry_after_honoured").scatter(at, facts.get_column("hon"))
    return df.with_columns(
        index,
        count,
        is_last,
        recovered,
        pl.col("_cv_http_method").alias("http_method"),
        pl.col("_cv_http_url").alias("http_url"),
        pl.col("_cv_retry_after").alias("retry_after_s"),
        pl.col("_cv_max_retries").alias("client_max_retries"),
        (pl.col("_cv_retry_in_ms") / 1000).alias("client_retry_wait_s"),
        honoured,
        ((pl.col("_cv_resend") > 0) | (pl.col("_cv_retry_tag") > 1)).fill_null(False).alias("explicit_retry"),
        # An attempt of LangChain's RunnableRetry: a child of the retry run, or tagged as its attempt.
        (pl.col("_cv_retry_tag").is_not_null() | pl.col("parent_k").is_in(retry_runs)).alias("runnable_retry"),
        # A run of a LangGraph node grouped with its task's other runs (its RetryPolicy's attempts).
        (pl.col("_cv_lg_run") & (pl.col("attempt_group").is_not_null())).alias("node_retry"),
        (pl.col("_cv_reprompt") & (pl.col("kind") == "llm")).alias("reprompted"),
    )


def _holds_any(text: pl.Expr, needles: tuple[str, ...]) -> pl.Expr:
    """``text`` holds one of ``needles`` (literal)."""
    return pl.any_horizontal([text.str.contains(n, literal=True) for n in needles])


def _one_level(df: pl.DataFrame) -> pl.Series:
    """``_cv_node_group`` where it is the only attempt level: null for a LangGraph node whose runs hold
    calls that already form one attempt group across two of them (the model call inside the node,
    resent with each run: retry_storm judges that group, with its Retry-After, and the node's runs
    are the same request told once)."""
    nodes = df.select("span_k", "_cv_node_group").filter(pl.col("_cv_node_group").is_not_null())
    if nodes.height == 0:
        return df.get_column("_cv_node_group")
    # The two columns read are taken out before the filter: filtering the span table itself copied
    # every one of its ~200 columns (0.24 CPU s at 584k spans, for two).
    inner = (
        df.select("parent_k", "attempt_group")
        .filter(pl.col("attempt_group").is_not_null() & pl.col("parent_k").is_in(nodes.get_column("span_k").implode()))
        .join(nodes.rename({"span_k": "parent_k"}), on="parent_k")
        .group_by("_cv_node_group", "attempt_group")
        .agg(pl.col("parent_k").n_unique().alias("runs"))
        .filter(pl.col("runs") > 1)
    )
    nested = inner.get_column("_cv_node_group").implode()
    return df.select(pl.when(~pl.col("_cv_node_group").is_in(nested)).then(pl.col("_cv_node_group"))).to_series()


def _carry_retry_after(df: pl.DataFrame, http: pl.Expr) -> pl.DataFrame:
    """One level up: a failed span that is no HTTP request takes the largest Retry-After of its
    failed children where it has none of its own."""
    asked = (
        df.filter(pl.col("failed") & pl.col("_cv_retry_after").is_not_null())
        .group_by("parent_k")
        .agg(pl.col("_cv_retry_after").max().alias("_child_retry_after"))
        .rename({"parent_k": "span_k"})
    )
    if asked.height == 0:
        return df
    return (
        df.join(asked, on="span_k", how="left", maintain_order="left")
        .with_columns(
            pl.when(pl.col("failed") & ~http)
            .then(pl.coalesce("_cv_retry_after", "_child_retry_after"))
            .otherwise(pl.col("_cv_retry_after"))
            .alias("_cv_retry_after")
        )
        .drop("_child_retry_after")
    )


register(
    Convention(
        name="attempt_groups",
        signals=(
            Signal(
                "HTTP client spans with the same http.request.method and url.full under one parent; http.request.resend_count",
                "OpenTelemetry HTTP semantic conventions",
                "semantic-conventions docs/http/http-spans.md (HTTP request retries and redirects)",
                "attempt_group, attempt_index, explicit_retry, group_recovered",
            ),
            Signal(
                "database client spans with the same db.system.name (db.system) and db.query.text (db.statement), or the same span name {db.operation.name} {target}, under one parent",
                "OpenTelemetry database semantic conventions (psycopg, SQLAlchemy, asyncpg instrumentations)",
                "semantic-conventions docs/database/database-spans.md (Name; Common attributes: db.query.text)",
                "attempt_group, attempt_index, group_recovered",
            ),
            Signal(
                "x-stainless-retry-count request header (http.request.header.x-stainless-retry-count)",
                "OpenAI Python client",
                "src/openai/_base_client.py (_build_headers: x-stainless-retry-count)",
                "explicit_retry, attempt_group",
            ),
            Signal(
                "Retry-After response header (http.response.header.retry-after, or retry-after-ms in milliseconds); on a failed call, that of its failed HTTP request",
                "OpenTelemetry HTTP semantic conventions; OpenAI / Anthropic Python clients",
                "semantic-conventions docs/http/http-spans.md (http.response.header.<key>); openai-python src/openai/_base_client.py (_make_status_error: the raised error carries the response)",
                "retry_after_s, retry_after_honoured",
            ),
            Signal(
                "the wait a failed call's error text asks for ('Please retry after 28 seconds.', 'try again in 20s'), in its status "
                "message or, where the status says less, its exception event's exception.message",
                "Azure OpenAI / OpenAI 429 texts; Semantic Kernel (Python) model calls",
                "opentelemetry-sdk trace/__init__.py (Span.record_exception: exception.message = str(exception)); semantic_kernel "
                "utils/telemetry/model_diagnostics/decorators.py (_set_completion_error: status repr of the SK exception)",
                "retry_after_s, retry_after_honoured",
            ),
            Signal(
                "maxRetries (max_retries) on a failed model call: the client's own retry limit",
                "Claude Code (api_error system lines with retryAttempt, maxRetries, retryInMs); a client's max_retries",
                "anthropics/claude-code#2919 (the CLI's 'Retrying in N seconds… (attempt n/10)'); openai-python src/openai/_base_client.py (max_retries)",
                "client_max_retries",
            ),
            Signal(
                "retryInMs on a failed model call: the wait the client scheduled before its next attempt",
                "Claude Code (api_error system lines: retryInMs beside retryAttempt and maxRetries)",
                "anthropics/claude-code#2919 (the CLI's 'Retrying in N seconds… (attempt n/10)', the wait doubling)",
                "client_retry_wait_s",
            ),
            Signal(
                "child runs tagged retry:attempt:<n>; the children of a RunnableRetry run with the same input",
                "LangChain RunnableRetry (with_retry)",
                "libs/core/langchain_core/runnables/retry.py (_invoke: one child run per attempt; _patch_config: run_manager.get_child(f'retry:attempt:{n}'))",
                "attempt_group, explicit_retry, runnable_retry",
            ),
            Signal(
                "runs of a LangGraph node (name = metadata langgraph_node) with the same langgraph_checkpoint_ns "
                "(else langgraph_step) under one graph run; not where the calls inside them already form one attempt group",
                "LangGraph RetryPolicy (OpenInference metadata, LangSmith extra.metadata, OpenLLMetry association properties)",
                "libs/langgraph/langgraph/pregel/_retry.py (run_with_retry: task.proc.invoke(task.input, config) after each "
                "retryable failure, sleeping initial_interval * backoff_factor**(n-1) plus jitter); langgraph/types.py (RetryPolicy); "
                "openinference-instrumentation-langchain _tracer.py (span named run.name, metadata JSON, exception event); "
                "traceloop/openllmetry opentelemetry-instrumentation-langchain callback_handler.py (_create_span: the "
                "metadata into the context's association properties) and traceloop-sdk tracing.py (_span_processor_on_start: "
                "traceloop.association.properties.<key>)",
                "attempt_group, node_retry",
            ),
            Signal(
                "invoke_agent spans of the same agent (gen_ai.agent.name) with the same input (gen_ai.input.messages), or none recorded "
                "(the sensitive-data switch off, the default), under one parent, "
                "each started once the one before had failed; not where the calls inside already form one attempt group",
                "Semantic Kernel (Python) agents (ChatCompletionAgent.get_response / invoke); an application's retry loop around any agent",
                "python/semantic_kernel/utils/telemetry/agent_diagnostics/decorators.py (_start_as_current_span: 'invoke_agent {agent.name}'; "
                "_set_agent_invocation_input: gen_ai.input.messages only if are_sensitive_events_enabled(); _set_agent_invocation_error: error.type, status ERROR)",
                "attempt_group, attempt_index, group_recovered (retry_storm: a recovered group is no storm by its spacing alone)",
            ),
            Signal(
                "a model call whose newest request (its input after the last assistant message) holds 'Fix the errors and try again.' (RetryPromptPart), "
                "or instructor's re-ask: 'Validation Error found: ... Recall the function correctly, fix the errors' (tools modes), "
                "'Recall the function correctly, fix the errors, exceptions found' (functions), 'Correct your JSON ONLY RESPONSE, based on the following errors:' (JSON modes)",
                "pydantic-ai (output and tool retries, max_result_retries); instructor (max_retries or a tenacity Retrying; InstructorRetryException when it gives up)",
                "pydantic_ai_slim/pydantic_ai/messages.py (RetryPromptPart.model_response); _agent_graph.py (ctx.state.increment_retries); "
                "instructor-ai/instructor instructor/providers/openai/utils.py (reask_tools, reask_default, reask_md_json), "
                "instructor/providers/anthropic/utils.py (reask_anthropic_tools), instructor/core/retry.py (retry_sync: handle_reask_kwargs per failed attempt)",
                "reprompted",
            ),
            Signal(
                "calls whose arguments differ only in an attempt number (attempt, attempt_number, retry_count ...)",
                "tenacity and retry wrappers that pass the attempt along",
                "tenacity/__init__.py (RetryCallState.attempt_number)",
                "attempt_group",
            ),
            Signal(
                "the same call re-issued (same agent, tool or model, arguments), started once the attempt before it had ended (one started while it was in flight was sent alongside it)",
                "tenacity, LiteLLM (num_retries), any agent re-calling a tool",
                "tenacity/__init__.py (Retrying: one call per attempt); litellm/router.py (function_with_retries)",
                "attempt_group, attempt_index, attempt_count, is_last_attempt, group_recovered",
            ),
        ),
        extract=_extract,
        structure=_structure,
        columns={
            "attempt_group": "key of the attempts of one request (HTTP resends; a database statement issued again; the same call re-issued); null for non-calls",
            "attempt_index": "0-based position of the span among its group's attempts",
            "attempt_count": "how many attempts the group holds",
            "is_last_attempt": "the group's last attempt",
            "group_recovered": "a later attempt of the same group succeeded, or a declared fallback (fallback_of) answered in place of its last attempt",
            "http_attempt": "the group is HTTP client resends (same method and URL under one parent)",
            "http_method": "the HTTP client span's request method (http.request.method, http.method)",
            "http_url": "the HTTP client span's URL (url.full, http.url)",
            "explicit_retry": "the instrumentation says this span is a resend (resend_count > 0, retry:attempt:n)",
            "retry_after_s": "the Retry-After (seconds) the response asked for",
            "retry_after_honoured": "the next attempt waited at least the Retry-After",
            "client_max_retries": "the retries the client itself allows, recorded with the attempt (maxRetries, max_retries)",
            "client_retry_wait_s": "the wait (seconds) the client scheduled before its next attempt, recorded with the failed one (retryInMs)",
            "node_retry": "a run of a LangGraph node among its task's runs (RetryPolicy attempts: same node, same langgraph_checkpoint_ns, same graph run)",
            "runnable_retry": "an attempt of LangChain's RunnableRetry (a child of its run, or tagged retry:attempt:n): its waits are tenacity's wait_exponential_jitter or none",
            "reprompted": "a model call sent because the framework rejected the model's previous answer (pydantic-ai's retry prompt, instructor's re-ask)",
        },
    )
)


def backoff_shown(growth: float, floor_s: float) -> pl.Expr:
    """Per retry (``gap_s``: its wait after the failed attempt; ``prev_gap_s``: the wait before the
    previous retry; ``asked_s``: the Retry-After the failed attempt asked for; ``runnable_retry``):
    the wait shows a backoff. It grew by ``growth`` over the one before and is a real wait. Or it
    is a RunnableRetry attempt that waited at all: LangChain's with_retry waits in one of two ways
    (langchain_core/runnables/retry.py ``_kwargs_retrying``): ``wait_exponential_jitter=True``, the
    default, sets tenacity's ``wait_exponential_jitter`` (initial * 2**(n-1) plus up to 1 s of
    jitter: tenacity wait.py), whose jitter can hide the doubling over the two retries of the
    default three attempts (1.93 s, then 2.12 s); ``False`` sets no wait, the attempts back to back.

    A real wait is at least ``floor_s`` (thresholds.retry_wait_floor_s: milliseconds growing are the
    loop's own scheduling), and at least the Retry-After the server asked for where it asked
    (``asked_s``: the caller leaves it null where the request got through in the end): a
    LlamaIndex step re-run by ConstantDelayRetryPolicy every 0.5 s against ``Retry-After: 120``
    waits 0.55 s, then 0.9 s (the step's own work varies), a growth that is no backoff."""
    gap, prev = pl.col("gap_s"), pl.col("prev_gap_s")
    needed = pl.max_horizontal(pl.lit(floor_s), pl.col("asked_s").fill_null(0.0) * RETRY_AFTER_TOLERANCE)
    real = gap >= needed
    # A LangGraph RetryPolicy (langgraph/types.py: initial_interval 0.5, backoff_factor 2, jitter
    # True) sleeps interval * backoff_factor**(n-1) plus up to 1 s of jitter (pregel/_retry.py
    # run_with_retry), which can hide the doubling as it does RunnableRetry's: a real wait that
    # differs from the one before by more than the timer's noise (SAME_WAIT_S) is that jittered
    # backoff. A policy of a constant interval (backoff_factor 1, jitter False) waits the same
    # each time: no backoff.
    jittered = pl.col("node_retry") & real & prev.is_not_null() & ((gap - prev).abs() >= SAME_WAIT_S)
    return ((gap >= prev * growth) & prev.is_not_null() & real) | (pl.col("runnable_retry") & real) | jittered
