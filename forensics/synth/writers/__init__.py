"""Writers: the neutral `Run`/`Span` model serialised into the real shapes of each log format.

Each shape follows the public samples in ``../shared/formats/`` (see SOURCES.md there) and FIELDS.md:

* ``otlp-json``: OTLP/JSON ``ExportTraceServiceRequest`` (resourceSpans/scopeSpans/spans, hex ids,
  ns-epoch decimal strings, typed attribute values, GenAI semantic-convention keys, exception events).
* ``otel-sdk-json``: the OpenTelemetry Python SDK's ``span.to_json()`` one object per line
  (``0x``-prefixed ids in ``context``, ISO times with a ``Z``, ``SpanKind.INTERNAL``, flat attributes).
* ``openinference``: Phoenix span JSON (``context.*``, ``span_kind``, flattened ``llm.*``/``tool.*``,
  ``input.value``/``output.value``, ``session.id``, ``status_code``, exception events), one per line.
* ``langsmith``: exported runs (``id``, ``trace_id``, ``parent_run_id``, ``dotted_order``, ``run_type``,
  naive ISO times as the server exports them, ``error``, ``inputs``/``outputs``, token and cost
  fields; the conversation thread in ``extra.metadata.thread_id``).
* ``langfuse``: the UI export ``{trace, observations}`` (AGENT/GENERATION/TOOL/RETRIEVER/GUARDRAIL/SPAN,
  ``level`` ERROR + ``statusMessage``, ``usageDetails``, ``sessionId``; OTel attributes as a JSON string
  in ``metadata``).
* ``jsonl``: plain structured application log lines, one per finished (or abandoned) step.

Handoffs are written as each format really writes them: a ``transfer_to_<agent>`` tool call (GenAI
``execute_tool``, an OpenInference/Langfuse TOOL, a LangSmith ``tool`` run) followed, when the target
picks the work up, by the target's own agent span. No writer emits any field that names a failure.

One module per format (``otlp_json.py``, ``langfuse.py``, ...), mirroring ``forensics/loaders/``;
each registers its `Writer` in `WRITERS` (a :class:`forensics.registry.Registry`; plugins add formats
through the entry-point group ``forensics.synth_writers``). `Writer.records(run)` gives the JSON
objects one run contributes, `Writer.render_file(runs)` a whole file, and `Writer.stream_chunks` the
container framing used by the generator to write run after run without holding a file in memory.
"""

from __future__ import annotations

from forensics.synth.writers.base import WRITERS, Writer, ended_order, get_writer, logged_order
from forensics.synth.writers.genai import genai_attributes, genai_name
from forensics.synth.writers.langsmith import langsmith_run_id

# Old import paths (``from forensics.synth.writers import _sdk_lines``) keep working.
from forensics.synth.writers.otel_sdk_json import _iso_b, _sdk_lines, _sdk_records

__all__ = [
    "WRITERS",
    "Writer",
    "_iso_b",
    "_sdk_lines",
    "_sdk_records",
    "ended_order",
    "genai_attributes",
    "genai_name",
    "get_writer",
    "langsmith_run_id",
    "logged_order",
]
