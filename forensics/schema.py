"""The Arrow schemas every part of the toolkit speaks, defined once.

Column names are a public contract: loaders write them, detectors read them, the store and the
charts depend on them. Each column carries its one-line documentation as field metadata, and the
README's column table is checked against it by the tests.
"""

from __future__ import annotations

from typing import Final

import pyarrow as pa

#: Span kinds, in the order the README documents them.
KINDS: Final = (
    "agent",
    "llm",
    "embedding",
    "tool",
    "retriever",
    "handoff",
    "human",
    "guardrail",
    "chain",
    "event",
    "unknown",
)

#: Span statuses.
STATUSES: Final = ("ok", "error", "unset")

TIMESTAMP: Final = pa.timestamp("ns", tz="UTC")


def _field(name: str, type_: pa.DataType, doc: str, nullable: bool = True) -> pa.Field:
    return pa.field(name, type_, nullable=nullable, metadata={"doc": doc})


SPAN_FIELDS: Final = (
    _field("run_id", pa.string(), "One execution of a task: a trace id, a LangSmith root run, a Langfuse trace, one conversation file.", False),
    _field("span_id", pa.string(), "The span's id, unique within its run (hex ids lowercase, base64 and decimal ids converted to hex).", False),
    _field("parent_id", pa.string(), "The parent span's id, null for a root span."),
    _field("session_id", pa.string(), "Runs that continue the same task or conversation (conversation id, thread, Langfuse sessionId); filled for every span of a run that names one."),
    _field("name", pa.string(), "The span's name as the source wrote it."),
    _field("kind", pa.string(), "One of agent, llm, embedding, tool, retriever, handoff, human, guardrail, chain, event, unknown.", False),
    _field("agent", pa.string(), "The agent that owns the span: its own name for agent spans, else inherited from the nearest agent ancestor."),
    _field("tool", pa.string(), "The tool's name, for tool spans."),
    _field("handoff_to", pa.string(), "The target agent of a handoff span."),
    _field("start_time", TIMESTAMP, "When the span started (UTC, ns)."),
    _field("end_time", TIMESTAMP, "When the span ended (UTC, ns); null when it never ended."),
    _field("status", pa.string(), "ok, error or unset.", False),
    _field("error_type", pa.string(), "The error's type or code (exception class, HTTP status, error.type)."),
    _field("error_message", pa.string(), "The error's message as the source wrote it."),
    _field("model", pa.string(), "The model a model call used."),
    _field("input_tokens", pa.int64(), "Prompt tokens of a model call."),
    _field("output_tokens", pa.int64(), "Completion tokens of a model call."),
    _field("cost_usd", pa.float64(), "Cost of the span in US dollars, where the source records it."),
    _field("input", pa.string(), "The span's input as text (JSON text when structured)."),
    _field("output", pa.string(), "The span's output as text (JSON text when structured)."),
    _field("attributes", pa.string(), "JSON object text of everything the source recorded that no column above holds; structural extras under keys starting with '@' (@resource, @scope, @events, @links)."),
    _field("source_format", pa.string(), "The loader that read the record (its registry name, e.g. otlp-json).", False),
    _field("source_file", pa.string(), "The file the record came from.", False),
    _field("source_line", pa.int64(), "Where in the file: the 1-based line for line-oriented files, else the 1-based ordinal of the record in the document.", False),
)

SPAN_SCHEMA: Final = pa.schema(SPAN_FIELDS)
SPAN_COLUMNS: Final = tuple(f.name for f in SPAN_FIELDS)

QUARANTINE_FIELDS: Final = (
    _field("source_file", pa.string(), "The file the record came from.", False),
    _field("source_line", pa.int64(), "Where in the file (as in the span table).", False),
    _field("source_format", pa.string(), "The loader that tried to read it, null when no loader was chosen."),
    _field("reason", pa.string(), "A stable kebab-case code: invalid-json, invalid-utf8, missing-span-id, end-before-start, duplicate-span-id, ...", False),
    _field("detail", pa.string(), "What was expected, what was found, and a hint.", False),
    _field("raw", pa.string(), "The record's raw text (cut at the configured limit, with a marker saying so)."),
)
QUARANTINE_SCHEMA: Final = pa.schema(QUARANTINE_FIELDS)

SEVERITIES: Final = ("low", "medium", "high", "critical")

#: How conclusive a finding's evidence is: the log states it (strong), it is inferred from text or a
#: heuristic (weak), or it is a lead for a reviewer only (hint: e.g. a tool irreversible by its name
#: alone). A hint is shown in the findings and the report but sets no class, primary class or `ok`:
#: a run with only hints is ok (policy ``[strength] promote`` makes a detector's hints weak findings).
STRENGTHS: Final = ("strong", "weak", "hint")
#: The strengths that make a finding count: it sets the run's classes and its `ok`.
FINDING_STRENGTHS: Final = ("strong", "weak")

#: A run's own verdict on itself (the ``@outcome`` attribute of its root span, see forensics.outcome).
DECLARED_OUTCOMES: Final = ("success", "failure", "unknown")

FINDING_FIELDS: Final = (
    _field("run_id", pa.string(), "The run the finding is about.", False),
    _field("session_id", pa.string(), "The run's session, when it has one."),
    _field("failure_class", pa.string(), "context_collapse, ownership_gap, missing_fallback, silent_failure, runaway_cost or unguarded_action.", False),
    _field("detector", pa.string(), "The registered detector that fired (e.g. swallowed_error).", False),
    _field("severity", pa.string(), "low, medium, high or critical.", False),
    _field("strength", pa.string(), "strong (the log states it, e.g. an error status never followed by a retry), weak (inferred from text or a heuristic) or hint (a lead shown to a reviewer that sets no class: the run stays ok).", False),
    _field("evidence_span_ids", pa.list_(pa.string()), "The spans that show it, in time order.", False),
    _field("decisive_span_id", pa.string(), "The earliest span from which this failure was inevitable."),
    _field("decisive_time", TIMESTAMP, "When the decisive span started."),
    _field("explanation", pa.string(), "One plain-English sentence with the numbers in it.", False),
    _field("policy_version", pa.string(), "The policy's name, version and content hash.", False),
)
FINDING_SCHEMA: Final = pa.schema(FINDING_FIELDS)

RUN_FIELDS: Final = (
    _field("run_id", pa.string(), "The run.", False),
    _field("session_id", pa.string(), "Its session, when it has one."),
    _field("source_format", pa.string(), "The loader its spans came from."),
    _field("source_file", pa.string(), "The file its first span came from."),
    _field("start_time", TIMESTAMP, "Earliest span start."),
    _field("end_time", TIMESTAMP, "Latest span end; null when the run never ended."),
    _field("duration_ms", pa.float64(), "end_time - start_time in milliseconds."),
    _field("agents", pa.list_(pa.string()), "The agents that own spans in the run, in order of first appearance.", False),
    _field("span_count", pa.int64(), "Spans in the run.", False),
    _field("error_count", pa.int64(), "Spans with status error.", False),
    _field("input_tokens", pa.int64(), "Sum of input tokens."),
    _field("output_tokens", pa.int64(), "Sum of output tokens."),
    _field("cost_usd", pa.float64(), "Sum of cost."),
    _field("reported_outcome", pa.string(), "What the run says about itself: success, error, open (never ended) or unknown.", False),
    _field("classes", pa.list_(pa.string()), "Every failure class found, most severe first.", False),
    _field("primary_class", pa.string(), "The class of the decisive finding; null when the run is ok."),
    _field("decisive_span_id", pa.string(), "The earliest span from which the run's failure was inevitable."),
    _field("ok", pa.bool_(), "True when no detector fired (hints aside: a run with only hints is ok).", False),
    _field("strength", pa.string(), "strong when at least one finding of the run is strong, weak when its findings are weak or hints; hint when the run is ok but holds hints; null when it holds nothing."),
    _field("declared_outcome", pa.string(), "The run's own verdict from its log (a benchmark reward, an evaluator score, a task status): success, failure or unknown.", False),
    _field("unexplained_failure", pa.bool_(), "True when the run declares a failure and no detector fired (information, not a clean run).", False),
    _field("decisive_agent", pa.string(), "The agent that took the step from which the run's failure was inevitable."),
    _field("decisive_step", pa.int64(), "That step's 0-based position in the run's own order (message index for transcripts, else spans by start time and source line)."),
    _field("policy_version", pa.string(), "The policy that produced the result.", False),
)
RUN_SCHEMA: Final = pa.schema(RUN_FIELDS)

#: Columns added to a result schema after its first release, with what a table written before
#: them reads as (a dataset's older part files; the SQL store backfills in its migration 0002).
#: ``None`` stays null; findings' ``strength`` is filled from each detector's declared default.
ADDED_COLUMNS: Final[dict[str, dict[str, object]]] = {
    "findings": {"strength": None},
    "runs": {
        "strength": None,
        "declared_outcome": "unknown",
        "unexplained_failure": False,
        "decisive_agent": None,
        "decisive_step": None,
    },
}

#: Ground-truth labels (sample_logs/labels.jsonl and any labels file in the same shape).
LABEL_FIELDS: Final = (
    _field("run_id", pa.string(), "The labeled run.", False),
    _field("scenario", pa.string(), "The scenario's name (a file stem in sample_logs/)."),
    _field("file", pa.string(), "The file that holds the run, relative to the labels file."),
    _field("expected_classes", pa.list_(pa.string()), "Failure classes a correct classifier reports; empty for a clean run.", False),
    _field("expected_detectors", pa.list_(pa.string()), "Detectors expected to fire.", False),
    _field("decisive_span_id", pa.string(), "The span a reviewer names as decisive; null for a clean run."),
    _field("story", pa.string(), "One line: what happened."),
)
LABEL_SCHEMA: Final = pa.schema(LABEL_FIELDS)


def column_docs(schema: pa.Schema) -> dict[str, str]:
    """Return ``{column: one-line doc}`` for a schema defined here."""
    return {f.name: (f.metadata or {}).get(b"doc", b"").decode() for f in schema}


def empty_table(schema: pa.Schema) -> pa.Table:
    """An empty table of ``schema`` (results with nothing in them still have every column). Built
    from no record batches: ``Schema.empty_table`` imports pandas (~1 s of a nightly job's start)."""
    return pa.Table.from_batches([], schema=schema)
