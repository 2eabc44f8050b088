"""What every detector shares: the Detector contract, the prepared span table and run facts.

``prepare`` derives, once per classification and over the whole table, the columns several
detectors need (order within the run, roots, failures, error-shaped outputs, tool roles from the
policy's patterns, handoff targets, confidence), and one row of facts per run (reported outcome,
final answer). Detectors are then plain polars queries over ``Context.spans`` / ``Context.runs``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Final

import polars as pl

from forensics import conventions
from forensics.policy import Policy

#: Kinds that are calls to something that can fail on its own (a tool, a model, a retriever).
CALL_KINDS: Final = ("tool", "llm", "retriever")

#: Columns a detector returns; classify() adds the rest of FINDING_SCHEMA.
DETECTOR_OUTPUT: Final[dict[str, pl.DataType]] = {
    "run_id": pl.String(),
    "evidence_span_ids": pl.List(pl.String),
    "decisive_span_id": pl.String(),
    "explanation": pl.String(),
}

# JSON inside JSON (a chat message whose content is a JSON string) escapes its quotes; every
# pattern below accepts a key written "key" or \"key\".
_Q: Final = r'\\?"'

# Error-shaped text in an output whose status says ok. Each alternative is a shape seen in real
# tool results: a JSON error object, a Python traceback, an HTTP error page, a failed status field.
ERROR_SHAPED: Final = (
    rf"(?i)^\s*\{{\s*{_Q}(error|errors|exception|error_message|err){_Q}\s*:"
    r"|traceback \(most recent call last\)"
    r"|too many requests|rate limit(ed)? exceeded|internal server error|service unavailable|bad gateway|gateway time-?out"
    rf"|{_Q}status{_Q}\s*:\s*{_Q}(failed|failure|error){_Q}"
    rf"|{_Q}success{_Q}\s*:\s*false|{_Q}ok{_Q}\s*:\s*false"
    r"|^\s*(error|exception|fatal)\s*[:!]"
)
EMPTY_RESULT: Final = r"^\s*(\[\s*\]|\{\s*\}|null|none|\"\"|)\s*$"
# An answer with nothing in it, bare or in the wrappers exporters use ({"output": ""}, a
# LangChain generation with empty text, a chat message with empty content).
EMPTY_ANSWER: Final = (
    r"^\s*(\[\s*\]|\{\s*\}|null|\"\"|)\s*$"
    rf"|^\s*\{{\s*{_Q}(output|text|content|answer|result|response){_Q}\s*:\s*({_Q}{_Q}|null)\s*\}}\s*$"
    rf"|^\s*\{{\s*{_Q}generations{_Q}\s*:\s*\[\s*\[\s*\{{\s*{_Q}text{_Q}\s*:\s*{_Q}{_Q}"
    rf"|^\s*\[\s*\{{\s*{_Q}role{_Q}\s*:\s*{_Q}assistant{_Q}\s*,\s*{_Q}content{_Q}\s*:\s*({_Q}{_Q}|null)\s*\}}\s*\]\s*$"
)

# A structured failure result from the run itself (its root output): the run said it failed.
STRUCTURED_FAILURE: Final = (
    rf"(?i){_Q}status{_Q}\s*:\s*{_Q}(failed|failure|error|escalated){_Q}"
    rf"|^\s*\{{\s*{_Q}error{_Q}\s*:|{_Q}success{_Q}\s*:\s*false"
)

# Context-window exhaustion as providers write it (OpenAI, Anthropic, Gemini, LiteLLM).
CONTEXT_OVERFLOW_TEXT: Final = (
    r"(?i)context_length_exceeded|maximum context length|context window|prompt is too long"
    r"|too many tokens|input is too long|exceeds the (model'?s )?(maximum|context)"
)
TRUNCATED_FINISH: Final = (
    rf"(?i){_Q}(gen_ai\.response\.finish_reasons?|finish_reasons?|stop_reason|llm\.finish_reason){_Q}"
    rf"\s*:\s*\[?\s*{_Q}(length|max_tokens|max_output_tokens){_Q}"
)
HTTP_IN_ATTRS: Final = rf"{_Q}http\.(?:response\.)?status_code{_Q}\s*:\s*{_Q}?(\d{{3}})"
HTTP_IN_TEXT: Final = r"(?i)\b(?:http|status|code|error)\D{0,3}(\d{3})\b"
CONFIDENCE: Final = (
    rf"{_Q}(?:confidence|confidence_score|gen_ai\.confidence){_Q}\s*:\s*{_Q}?(-?[0-9]*\.?[0-9]+)"
)
TRANSFER_TOOL: Final = r"(?i)^(?:transfer|handoff|hand_off|delegate)_to_(.+)$"
# A person acting (OpenTelemetry's enduser.id on a step): human activity, whatever the span kind.
PERSON: Final = rf"{_Q}enduser\.id{_Q}\s*:\s*{_Q}[^\\\"]"


@dataclass
class Context:
    """The prepared tables and the policy, handed to every detector."""

    spans: pl.DataFrame
    runs: pl.DataFrame
    policy: Policy
    _cache: dict[str, pl.DataFrame] = field(default_factory=dict)

    def cached(self, key: str, build: pl.LazyFrame) -> pl.DataFrame:
        """Materialise a shared intermediate once (several detectors use the same one)."""
        if key not in self._cache:
            self._cache[key] = build.collect()
        return self._cache[key]


class Detector:
    """A rule over the span table. Subclasses set the identity and implement ``detect``."""

    name: ClassVar[str]
    failure_class: ClassVar[str]
    scope: ClassVar[str]  # "run" or "session": the only grouping a detector may look across
    severity: ClassVar[str]
    description: ClassVar[str]
    #: How conclusive this detector's evidence is by default ("strong" or "weak"; schema.STRENGTHS);
    #: a finding may downgrade itself through ``finding(..., strength=...)``.
    strength: ClassVar[str] = "strong"

    def detect(self, ctx: Context) -> pl.LazyFrame:
        """Return one row per finding with the ``DETECTOR_OUTPUT`` columns."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<detector {self.name} ({self.failure_class}, {self.scope}, {self.severity})>"


# --- formatting helpers for explanations (polars expressions, never Python per row) -------------


def hms(col: str | pl.Expr) -> pl.Expr:
    """A timestamp as HH:MM:SS (UTC), or 'an unknown time'."""
    e = pl.col(col) if isinstance(col, str) else col
    return e.dt.strftime("%H:%M:%S").fill_null("an unknown time")


def moment(t: str = "t", seq: str = "seq", synthetic: str = "synthetic_time") -> pl.Expr:
    """'at 02:13:07', or 'as step 4 of the run' where the source has no clock (its times were
    synthesised from message order, so a clock time would be invented)."""
    return (
        pl.when(pl.col(synthetic).fill_null(False))
        .then(pl.format("as step {} of the run", pl.col(seq) + 1))
        .otherwise(pl.format("at {}", hms(t)))
    )


def num(expr: pl.Expr, decimals: int = 1) -> pl.Expr:
    """A float rounded for reading."""
    return expr.round(decimals).cast(pl.String).fill_null("?")


def txt(expr: pl.Expr, default: str = "?") -> pl.Expr:
    """Any value as text with a default for null (pl.format yields null if any part is null)."""
    return expr.cast(pl.String).fill_null(default)


def snippet(expr: pl.Expr, width: int = 60) -> pl.Expr:
    """The first ``width`` characters of a text on one line."""
    one_line = expr.str.replace_all(r"\s+", " ").str.strip_chars()
    return (
        pl.when(one_line.str.len_chars() > width)
        .then(pl.concat_str([one_line.str.slice(0, width), pl.lit("...")]))
        .otherwise(one_line)
        .fill_null("")
    )


def what(prefix: str = "") -> pl.Expr:
    """'tool crm.lookup' / 'llm gpt-4o' / 'agent planner': how explanations name a span."""
    p = prefix
    return pl.concat_str([pl.col(f"{p}kind"), pl.lit(" "), pl.col(f"{p}call").fill_null("(unnamed)")])


def empty_findings() -> pl.LazyFrame:
    return pl.DataFrame(schema=DETECTOR_OUTPUT).lazy()


def finding(
    run_id: str | pl.Expr,
    evidence: pl.Expr,
    decisive: str | pl.Expr,
    explanation: pl.Expr,
    strength: str | pl.Expr | None = None,
) -> list[pl.Expr]:
    """The select() list a detector ends with, cast to the detector output types.

    ``strength``: "strong"/"weak" (or an expression giving one per finding) where a finding's
    evidence differs from its detector's default; null means the detector's ``strength``.
    """
    r = pl.col(run_id) if isinstance(run_id, str) else run_id
    d = pl.col(decisive) if isinstance(decisive, str) else decisive
    s = strength if isinstance(strength, pl.Expr) else pl.lit(strength, dtype=pl.String)
    return [
        r.cast(pl.String).alias("run_id"),
        evidence.cast(pl.List(pl.String)).alias("evidence_span_ids"),
        d.cast(pl.String).alias("decisive_span_id"),
        explanation.cast(pl.String).alias("explanation"),
        s.cast(pl.String).alias("strength"),
    ]


# --- preparation --------------------------------------------------------------------------------


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
#: Seed for the 64-bit id hashes used as join keys (collisions at 2**-64 per pair are ignored).
HASH_SEED: Final = 0x5EED


def _role_masks(names: pl.Series, policy: Policy) -> pl.DataFrame:
    """Policy roles of each distinct tool or step name, as one bit mask (a few hundred names are
    matched, not millions of rows)."""
    n = pl.col("name")
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


def _map_distinct(col: pl.Expr, values: pl.Series, derive: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    """``derive`` computed once per distinct value of ``values``, then mapped onto ``col``."""
    table = pl.DataFrame({"name": values}).drop_nulls().unique().with_columns(derive.alias("out"))
    return col.replace_strict(table["name"], table["out"], default=None, return_dtype=dtype)


def _where_contains(col: str, needle: str) -> pl.Expr:
    """``col`` where it contains ``needle`` (a cheap literal scan), else null: a regex applied to the
    result only runs on the few rows that can match."""
    return pl.when(pl.col(col).str.contains(needle, literal=True)).then(pl.col(col))


#: Costs summed exactly up to this many US dollars per value (a larger one is nonsense input,
#: summed as a plain float rather than dropped).
_EXACT_COST_LIMIT: Final = 1e12


def exact_sum(value: pl.Expr) -> pl.Expr:
    """Sum of a float column in a group that does not depend on the rows' order or on how many
    other groups share the table (polars adds floats in blocks whose boundaries move with the
    table, so a run's cost differed in the last bit between a Spark partition and one table):
    the values are summed as decimals with 12 places, exactly, then rounded once to a float."""
    exact = value.cast(pl.Decimal(38, 12), strict=False).sum().cast(pl.Float64)
    return pl.when(value.abs().max() < _EXACT_COST_LIMIT).then(exact).otherwise(value.sum())


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
    out = pl.repeat(False, df.height, dtype=pl.Boolean, eager=True).alias("answers_agent")
    return out.scatter(found.get_column("_row"), found.get_column("answered"))


def prepare(spans: pl.DataFrame, policy: Policy) -> Context:
    """Derive the shared columns and the per-run facts over the whole table at once.

    Runs are keyed by ``run_key`` (a u32 code of ``run_id``) and spans by 64-bit hashes of their
    ids for sorting and joining: integer keys are several times faster than strings on millions
    of rows, and the strings stay for display. Everything read from the raw text columns
    (``attributes``, ``input``) is derived first, and those columns are then dropped, so the
    sorted working table stays narrow.
    """
    is_tool = pl.col("kind") == "tool"
    is_llm = pl.col("kind") == "llm"
    err_text = pl.concat_str(
        [pl.col("error_type").fill_null(""), pl.col("error_message").fill_null("")], separator=" "
    )
    http = pl.coalesce(
        _where_contains("attributes", "status_code").str.extract(HTTP_IN_ATTRS, 1),
        # Error texts are only read on spans that carry an error type or message (masked first:
        # a regex skips the nulls).
        pl.col("error_type").str.extract(r"^\s*(\d{3})\s*$", 1),
        pl.when(pl.col("status") == "error").then(pl.col("error_message")).str.extract(HTTP_IN_TEXT, 1),
        pl.when(
            pl.when(pl.col("error_message").is_not_null())
            .then(pl.col("error_message"))
            .str.contains(r"(?i)too many requests|rate limit")
        ).then(pl.lit("429")),
    ).cast(pl.Int64, strict=False)
    finish_attrs = pl.when(
        pl.col("attributes").str.contains("finish", literal=True)
        | pl.col("attributes").str.contains("stop_reason", literal=True)
    ).then(pl.col("attributes"))
    truncated = finish_attrs.str.contains(TRUNCATED_FINISH).fill_null(False) | (
        pl.when(
            is_llm
            & (
                pl.col("output").str.contains("length", literal=True)
                | pl.col("output").str.contains("max_", literal=True)
            )
        )
        .then(pl.col("output"))
        .str.contains(TRUNCATED_FINISH)
        .fill_null(False)
    )
    df = spans.with_columns(
        pl.col("run_id").cast(pl.Categorical).to_physical().alias("run_key"),
        pl.col("span_id").hash(HASH_SEED).alias("span_h"),
        pl.when(pl.col("parent_id").is_not_null())
        .then(pl.col("parent_id").hash(HASH_SEED))
        .alias("parent_h"),
        # Tool arguments compared without whitespace: the same call re-serialised is the same call.
        # Only tool inputs that contain whitespace go through the regex.
        pl.coalesce(
            pl.when(is_tool & pl.col("input").str.contains(r"\s"))
            .then(pl.col("input"))
            .str.replace_all(r"\s+", ""),
            pl.col("input"),
        ).alias("args"),
        # The task a run was given (its root's input): a restart is given the same task again.
        pl.when(pl.col("parent_id").is_null())
        .then(pl.col("input"))
        .str.replace_all(r"\s+", "")
        .alias("task"),
        http.alias("http_status"),
        pl.coalesce(
            _where_contains("attributes", "onfidence").str.extract(CONFIDENCE, 1),
            _where_contains("output", "onfidence").str.extract(CONFIDENCE, 1),
        )
        .cast(pl.Float64, strict=False)
        .alias("confidence"),
        _where_contains("attributes", "enduser.id").str.contains(PERSON).fill_null(False).alias("person"),
        (is_llm & truncated).alias("cut_short"),
        pl.when(pl.col("error_type").is_not_null() | pl.col("error_message").is_not_null())
        .then(err_text)
        .str.contains(CONTEXT_OVERFLOW_TEXT)
        .fill_null(False)
        .alias("overflow_text"),
        # Loaders of sources without clocks synthesise an order and say so; timing rules (backoff
        # spacing, quiet gaps) cannot judge such runs.
        pl.col("attributes")
        .str.contains('"time_synthesized"', literal=True)
        .fill_null(False)
        .alias("synthetic"),
        # The conventions layer reads its raw signals while the text columns are still here.
        *conventions.extract_exprs(),
    ).drop("attributes", "input")
    order = ["run_key", "start_time", "source_line", "span_h"]
    # Loaders write a run's spans together and mostly in time order; when each run already is in
    # (start, line) order the sort, a copy of every column, is skipped. Otherwise the sort leaves
    # one chunk per column; else the table is made one chunk here, once, while it is narrow
    # (derived columns come out as one chunk, and a table of mixed chunking is copied whole by
    # polars at the next step, later and wider).
    df = df.sort(order, nulls_last=True) if not _in_order(df, order) else df.rechunk()

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
        pl.coalesce("tool", "model", "name", "kind").alias("call"),
        _map_distinct(pl.col("agent"), agents, _norm_name(pl.col("name")), pl.String()).alias("agent_norm"),
        _map_distinct(
            pl.col("agent"), agents, pl.col("name").str.contains(policy.escalation_targets), pl.Boolean()
        )
        .fill_null(False)
        .alias("agent_is_human"),
        span_k.alias("span_k"),
        parent_k.alias("parent_k"),
    )
    # Roots: no parent, or a parent that is not in the run (a partial export): a set lookup.
    df = df.with_columns(
        (pl.col("parent_id").is_null() | ~pl.col("parent_k").is_in(df.get_column("span_k").implode())).alias(
            "is_root"
        )
    )
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
    df = conventions.apply_status(df)
    # Tool roles apply to tool spans (by tool name); acknowledgement and approval to any step.
    tool_only = {"is_side_effect", "is_irreversible", "is_escalation_tool", "is_delivery", "is_fallback_tool"}
    df = df.with_columns(
        [
            (((pl.col("_roles") & (1 << i)) != 0) & (is_tool if k in tool_only else pl.lit(True))).alias(k)
            for i, k in enumerate(_ROLE_BITS)
        ]
    ).drop("_roles")
    results = pl.when(pl.col("kind").is_in(["tool", "retriever"])).then(pl.col("output"))
    shaped = results.str.contains(ERROR_SHAPED)
    if policy.empty_result_is_error:
        # An empty result is an error only where data was expected: a read, not a write (a
        # write that returns {} or 204 did its job).
        shaped = shaped | (results.str.contains(EMPTY_RESULT) & ~pl.col("is_side_effect"))
    df = df.with_columns(shaped.fill_null(False).alias("error_shaped"))
    to_human = pl.col("handoff_target").str.contains(policy.escalation_targets).fill_null(False)
    person = pl.col("person")
    human = (pl.col("kind") == "human") | person
    # A person's turn reviews what the agent does next only when it answers the agent: the opening
    # request of a conversation (no agent turn before it) asks for the action, it does not approve it.
    agent_spoke_before = _answers_agent(df, human)
    df = df.with_columns(
        (~pl.col("failed") & ~pl.col("error_shaped")).alias("succeeded"),
        _norm_name(pl.col("handoff_target")).alias("target_norm"),
        to_human.alias("to_human"),
        (pl.col("is_escalation_tool") | to_human | pl.col("pause_escalation")).alias("is_escalation"),
        (
            (pl.col("kind") == "guardrail")
            | pl.col("is_approval_step")
            | (human & agent_spoke_before)
            | pl.col("state_ack")
        ).alias("is_review"),
        (human | pl.col("is_ack_step") | pl.col("agent_is_human") | pl.col("state_ack")).alias("is_ack"),
    )
    # A failure whose own child failed is the same error travelling up; rules about "an error"
    # look at where it started, not every ancestor it passed through.
    failed_parents = df.filter(pl.col("failed")).get_column("parent_k").implode()
    df = df.with_columns(pl.col("span_k").is_in(failed_parents).alias("has_failed_child"))
    # Conventions that relate spans to each other (attempts of one request, declared fallbacks).
    df = conventions.apply_structure(df)
    # A failure that came up from a child's retried attempts (an exhausted or stormy retry chain):
    # the retrying was the handling; retry_storm judges it, not unhandled_error.
    retried_children = (
        df.filter(pl.col("failed") & (pl.col("attempt_count") > 1)).get_column("parent_k").implode()
    )
    df = df.with_columns(pl.col("span_k").is_in(retried_children).alias("retried_below"))
    runs = conventions.apply_runs(df, _run_facts(df))
    # Keep the working table narrow: what only preparation needed goes.
    spent = [
        "name",
        "tool",
        "handoff_to",
        "error_message",
        "source_line",
        "parent_h",
        "parent_k",
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
    return Context(spans=df.drop(spent), runs=runs, policy=policy)


def _run_facts(df: pl.DataFrame) -> pl.DataFrame:
    """One row per run: times, roots, reported outcome, final answer."""
    root = pl.col("is_root")
    answer_kinds = pl.col("kind").is_in(["agent", "llm", "chain", "unknown"]) | root
    has_answer = answer_kinds & pl.col("output").is_not_null()
    # The final answer: the output of the answering span that ended last (the root, in a tree;
    # the last message, in a flat conversation).
    end_key = pl.col("end_time").fill_null(pl.col("t")).alias("_end")
    lf = df.lazy()
    base = lf.group_by("run_key").agg(
        pl.col("run_id").first(),
        pl.col("session_id").drop_nulls().first(),
        pl.col("source_format").first(),
        pl.col("source_file").first(),
        pl.col("t").min().alias("start_time"),
        pl.col("end_time").max().alias("last_end"),
        pl.max_horizontal(pl.col("end_time").max(), pl.col("t").max()).alias("last_activity"),
        root.sum().alias("n_roots"),
        (root & pl.col("end_time").is_null()).any().alias("root_open"),
        # ``failed``, not the raw status: a root that stopped at a pause (an interrupt travelling
        # up, a guardrail tripwire) did not fail.
        (root & pl.col("failed")).any().alias("root_error"),
        pl.col("span_id").last().alias("last_span_id"),
        pl.col("agent").is_not_null().any().alias("has_agents"),
        # Loaders of sources without clocks synthesise an order and say so; timing rules (backoff
        # spacing, quiet gaps) cannot judge such runs.
        pl.col("synthetic").any().alias("synthetic_time"),
        pl.len().alias("span_count"),
        # What the runs table reports (one pass over the spans for everything).
        pl.col("agent").drop_nulls().unique(maintain_order=True).alias("agents"),
        (pl.col("status") == "error").sum().cast(pl.Int64).alias("error_count"),
        pl.col("input_tokens").sum().alias("input_tokens"),
        pl.col("output_tokens").sum().alias("output_tokens"),
        exact_sum(pl.col("cost_usd")).alias("cost_usd"),
        pl.col("input_tokens").is_not_null().any().alias("_has_in"),
        pl.col("output_tokens").is_not_null().any().alias("_has_out"),
        pl.col("cost_usd").is_not_null().any().alias("_has_cost"),
    )
    # The last-ending root and the last-ending answering span, on the (small) filtered rows only.
    roots = (
        lf.filter(root)
        .select("run_key", "seq", end_key, "output", "span_id", "task")
        .sort("run_key", "_end", "seq")
        .unique("run_key", keep="last")
        .select(
            "run_key",
            pl.col("output").alias("root_output"),
            pl.col("span_id").alias("root_span_id"),
            pl.col("_end").alias("root_t"),
            # The task the run was given: a restart is given the same task again.
            "task",
        )
    )
    answers = (
        lf.filter(has_answer)
        .select("run_key", "seq", end_key, "output", "span_id")
        .sort("run_key", "_end", "seq")
        .unique("run_key", keep="last")
        .select(
            "run_key",
            pl.col("output").alias("final_output"),
            pl.col("span_id").alias("final_span_id"),
            pl.col("_end").alias("final_t"),
        )
    )
    base_df, roots_df, answers_df = pl.collect_all([base, roots, answers])
    runs = base_df.join(roots_df, on="run_key", how="left").join(answers_df, on="run_key", how="left")
    # Where the final answer was first produced: the answering span with the same output that
    # ended first (the model call under the agent that passed its answer up).
    origin = (
        lf.filter(has_answer)
        .select("run_key", pl.col("output").hash(HASH_SEED).alias("_h"), end_key, "seq", "span_id")
        .join(
            runs.lazy().select("run_key", pl.col("final_output").hash(HASH_SEED).alias("_h")),
            on=["run_key", "_h"],
        )
        .sort("run_key", "_end", "seq")
        .unique("run_key", keep="first")
        .select("run_key", pl.col("span_id").alias("answer_span_id"), pl.col("_end").alias("answer_t"))
    )
    # An empty final answer: where the emptiness came from (the last answering model call that
    # produced nothing), else the root.
    empty_origin = (
        lf.filter((pl.col("kind") == "llm") & pl.col("output").str.contains(EMPTY_ANSWER).fill_null(False))
        .group_by("run_key")
        .agg(pl.col("span_id").last().alias("empty_span_id"))
    )
    origin_df, empty_df = pl.collect_all([origin, empty_origin])
    runs = (
        runs.join(origin_df, on="run_key", how="left")
        .join(empty_df, on="run_key", how="left")
        .with_columns(
            pl.coalesce("answer_span_id", "final_span_id").alias("answer_span_id"),
            pl.coalesce("answer_t", "final_t").alias("answer_t"),
        )
    )
    structured = pl.col("root_output").str.contains(STRUCTURED_FAILURE).fill_null(False)
    return runs.with_columns(
        pl.col("root_output").str.contains(EMPTY_ANSWER).fill_null(False).alias("empty_answer"),
        structured.alias("structured_failure"),
        pl.when(pl.col("n_roots") == 0)
        .then(pl.lit("unknown"))
        .when(pl.col("root_open"))
        .then(pl.lit("open"))
        .when(pl.col("root_error") | structured)
        .then(pl.lit("error"))
        .otherwise(pl.lit("success"))
        .alias("reported_outcome"),
        pl.coalesce("session_id", pl.concat_str([pl.lit("run:"), pl.col("run_id")])).alias("scope_key"),
    ).sort("run_id")


def failure_followups(ctx: Context) -> pl.DataFrame:
    """For every failed span: did a retry, a fallback or an escalation follow, and did one succeed?

    A retry is a later call of the same kind and name; a fallback is a later model call with a
    different model, a later tool with the same arguments under another name, or a tool the
    policy names as a fallback. Shared by unhandled_error, swallowed_error and error_as_data.
    """

    def build() -> pl.LazyFrame:
        s = ctx.spans.lazy()
        verb = pl.col("call").str.extract(r"([^./:]+)$", 1)
        failed = s.filter(pl.col("failed") | pl.col("error_shaped")).select(
            "run_key",
            "run_id",
            "span_id",
            "seq",
            "kind",
            "call",
            "model",
            "args",
            "agent",
            verb.alias("verb"),
            "attempt_index",
            "attempt_count",
            "group_recovered",
        )
        # Fallbacks the framework declared (conventions: with_fallbacks, LiteLLM fallbacks).
        declared = (
            s.filter(pl.col("fallback_of").is_not_null())
            .group_by("run_id", pl.col("fallback_of").alias("span_id"))
            .agg(pl.col("succeeded").any().alias("fallback_ok"))
        )
        # Only the runs that hold a failure are searched for what followed it.
        later = (
            s.join(failed.select("run_key").unique(), on="run_key", how="semi")
            .select(
                "run_key",
                pl.col("seq").alias("l_seq"),
                pl.col("kind").alias("l_kind"),
                pl.col("call").alias("l_call"),
                pl.col("model").alias("l_model"),
                pl.col("args").alias("l_args"),
                verb.alias("l_verb"),
                pl.col("agent").alias("l_agent"),
                pl.col("succeeded").alias("l_ok"),
                pl.col("is_escalation").alias("l_esc"),
                pl.col("is_fallback_tool").alias("l_fallback_tool"),
            )
            .filter(
                pl.col("l_kind").is_in([*CALL_KINDS, "handoff", "agent", "chain", "guardrail"])
                | pl.col("l_esc")
            )
        )
        pairs = failed.join(later, on="run_key", how="inner").filter(pl.col("l_seq") > pl.col("seq"))
        retry = (pl.col("l_kind") == pl.col("kind")) & (pl.col("l_call") == pl.col("call"))
        same_agent = pl.col("l_agent").eq_missing(pl.col("agent"))
        fallback = (
            (
                (pl.col("kind") == "llm")
                & (pl.col("l_kind") == "llm")
                & ~pl.col("l_model").eq_missing(pl.col("model"))
                & same_agent
            )
            | (
                # Another tool doing the same thing: the same verb and arguments on another service
                # (crm.lookup -> crm_replica.lookup), or a tool the policy names as a fallback.
                (pl.col("kind") == "tool")
                & (pl.col("l_kind") == "tool")
                & (pl.col("l_call") != pl.col("call"))
                & (
                    ((pl.col("l_verb") == pl.col("verb")) & pl.col("l_args").eq_missing(pl.col("args")))
                    | pl.col("l_fallback_tool")
                )
            )
            | (
                (pl.col("kind") == "retriever")
                & (pl.col("l_kind") == "retriever")
                & (pl.col("l_call") != pl.col("call"))
            )
        )
        flags = pairs.group_by("run_id", "span_id").agg(
            retry.any().alias("retried"),
            fallback.any().alias("fell_back"),
            pl.col("l_esc").any().alias("escalated"),
            ((retry | fallback) & pl.col("l_ok")).any().alias("recovered"),
            pl.len().alias("spans_after"),
        )
        # A later attempt of the same request (conventions: HTTP resends under one parent, the
        # same call re-issued) is a retry whatever its span kind; its success recovers the failure.
        later_attempt = (pl.col("attempt_index") < pl.col("attempt_count") - 1).fill_null(False)
        return (
            failed.select("run_id", "span_id", "attempt_index", "attempt_count", "group_recovered")
            .join(flags, on=["run_id", "span_id"], how="left")
            .join(declared, on=["run_id", "span_id"], how="left")
            .with_columns(pl.col("retried", "fell_back", "escalated", "recovered").fill_null(False))
            .select(
                "run_id",
                "span_id",
                (pl.col("retried") | later_attempt).alias("retried"),
                (pl.col("fell_back") | pl.col("fallback_ok").is_not_null()).alias("fell_back"),
                "escalated",
                (
                    pl.col("recovered")
                    | pl.col("group_recovered").fill_null(False)
                    | pl.col("fallback_ok").fill_null(False)
                ).alias("recovered"),
                "spans_after",
            )
        )

    if "failure_followups" not in ctx._cache:
        ctx._cache["failure_followups"] = _recovered_up(ctx, build().collect())
    return ctx._cache["failure_followups"]


#: How many levels a recovery is carried down a chain of failed spans (an error travelling up).
_MAX_CHAIN: Final = 16


def _recovered_up(ctx: Context, follow: pl.DataFrame) -> pl.DataFrame:
    """A failure travelled up: the HTTP call failed, so did the tool call around it. When the
    failed tool call was retried or replaced by a fallback that succeeded, the HTTP call's failure
    was recovered too. ``recovered`` is carried from a failed parent to its failed child, level by
    level (a loop over chain depth, not rows)."""
    parents = ctx.spans.filter(pl.col("failed") | pl.col("error_shaped")).select(
        "run_id", "span_id", "parent_id"
    )
    f = follow.join(parents, on=["run_id", "span_id"], how="left")
    for _ in range(_MAX_CHAIN):
        up = f.select("run_id", pl.col("span_id").alias("parent_id"), pl.col("recovered").alias("_up"))
        new = f.join(up, on=["run_id", "parent_id"], how="left", maintain_order="left").with_columns(
            (pl.col("recovered") | pl.col("_up").fill_null(False)).alias("recovered")
        )
        changed = int(new.get_column("recovered").sum()) != int(f.get_column("recovered").sum())
        f = new.drop("_up")
        if not changed:
            break
    return f.drop("parent_id")


def failed_runs(ctx: Context) -> pl.DataFrame:
    """``run_id, run_failed``: the run ended in error or never ended, or it holds a failure that
    was never recovered. A later run that redoes this one's work is a restart, not a new request."""

    def build() -> pl.LazyFrame:
        follow = failure_followups(ctx).lazy()
        lost = (
            ctx.spans.lazy()
            .filter(pl.col("failed") & ~pl.col("is_root") & ~pl.col("has_failed_child"))
            .join(follow, on=["run_id", "span_id"])
            .filter(~pl.col("recovered"))
            .select("run_id")
            .unique()
            .with_columns(pl.lit(True).alias("lost"))
        )
        return (
            ctx.runs.lazy()
            .select("run_id", "reported_outcome")
            .join(lost, on="run_id", how="left")
            .select(
                "run_id",
                (pl.col("reported_outcome").is_in(["error", "open"]) | pl.col("lost").fill_null(False)).alias(
                    "run_failed"
                ),
            )
        )

    return ctx.cached("failed_runs", build())
