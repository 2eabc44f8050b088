"""OpenAI Agents SDK guardrails as OpenInference exports them: a CHAIN span named by the guardrail.

The SDK runs each input or output guardrail inside ``guardrail_span(guardrail.get_name())``
(openai-agents-python ``src/agents/_run_impl.py`` ``run_single_input_guardrail``, under the agent's
span) and sets ``span_data.triggered`` to the guardrail's ``tripwire_triggered``. OpenInference's
tracing processor (Arize-ai/openinference ``python/instrumentation/openinference-instrumentation-
openai-agents/src/openinference/instrumentation/openai_agents/_processor.py``) writes that span with
the guardrail's name (``_get_span_name``: ``span_data.name``), the span kind CHAIN (``_get_span_kind``:
``GuardrailSpanData`` -> CHAIN, as a custom span), ``llm.system`` "openai" (``on_span_start``), and
nothing of ``triggered`` (``on_span_end`` writes attributes for response, generation, function and MCP
spans only); its status is the SDK span's error, none for a guardrail. When a tripwire fires the
Runner attaches ``SpanError("Guardrail tripwire triggered", data={"guardrail": name, ...})`` to the
agent's span (``src/agents/run.py`` ``_run_input_guardrails``), which the processor writes as the
agent span's status description ``"Guardrail tripwire triggered: {'guardrail': '<name>', ...}"``.

So a CHAIN span of that processor (``llm.system`` openai) directly under an agent span, with no
input or output and a name that is none of the SDK's own span types, is a guardrail check
(``kind`` guardrail): one that ran and passed, unless a tripwire error in its run names it, which
makes it the guardrail that tripped (``pause_kind`` tripwire): a stop, not a pass. A bare CHAIN
span under an agent whose name says it is a guardrail (``*guardrail*``) is read so without
``llm.system``: the name is the guardrail's own (``guardrail.get_name()``), and an application's
own guardrail span, or an exporter that kept fewer attributes, says as much.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.conventions.registry import Convention, Q, Signal, on_rows, register

#: Span names the processor gives SDK spans with no name of their own (``span_data.type``): not a guardrail.
_SDK_TYPES: Final = (
    "mcp_tools",
    "speech",
    "speech_group",
    "transcription",
    "custom",
    "task",
    "turn",
    "response",
)
#: The guardrail a tripwire error names (the SpanError's data, as the processor writes it).
_NAMED: Final = r"""['"]guardrail['"]\s*:\s*['"]([^'"]+)['"]"""


def _extract() -> list[pl.Expr]:
    bare = (
        (pl.col("kind") == "chain")
        & pl.col("input").is_null()
        & pl.col("output").is_null()
        & ~pl.col("name").is_in(list(_SDK_TYPES)).fill_null(True)
    )
    # The attributes read on the few bare chain spans only (on_rows), not on every span.
    # A bare chain named for a guardrail (``refund_amount_guardrail``) is one whoever wrote it: an
    # exporter that drops the processor's ``llm.system``, or an application's own guardrail span.
    return [
        (
            on_rows(
                bare,
                pl.col("attributes"),
                lambda e: (
                    e.str.contains(rf"{Q}llm\.system{Q}\s*:\s*{Q}openai{Q}")
                    & e.str.contains(rf"{Q}openinference\.span\.kind{Q}\s*:\s*{Q}CHAIN{Q}")
                ),
            ).fill_null(False)
            | (bare & pl.col("name").str.contains("(?i)guardrail")).fill_null(False)
        ).alias("_cv_oi_guardrail")
    ]


def _status(df: pl.DataFrame) -> pl.DataFrame:
    cand = pl.col("_cv_oi_guardrail")
    if not df.select(cand.any()).item():
        return df.with_columns(pl.lit(False).alias("guardrail_check"))
    agents = df.filter(pl.col("kind") == "agent").get_column("span_k").implode()
    is_check = cand & pl.col("parent_k").is_in(agents)
    # The guardrails a tripwire error of the run names (the agent span's status description).
    named = (
        df.filter((pl.col("pause_kind") == "tripwire").fill_null(False))
        .select("run_key", pl.col("error_message").str.extract_all(_NAMED).alias("_g"))
        .explode("_g")
        .select("run_key", pl.col("_g").str.extract(_NAMED, 1).alias("name"))
        .drop_nulls()
        .unique()
        .with_columns(pl.lit(True).alias("_tripped"))
    )
    df = df.join(named, on=["run_key", "name"], how="left", maintain_order="left")
    tripped = is_check & pl.col("_tripped").fill_null(False)
    return df.with_columns(
        pl.when(is_check).then(pl.lit("guardrail")).otherwise(pl.col("kind")).alias("kind"),
        pl.when(tripped).then(pl.lit("tripwire")).otherwise(pl.col("pause_kind")).alias("pause_kind"),
        is_check.alias("guardrail_check"),
    ).drop("_tripped")


register(
    Convention(
        name="agents_sdk_guardrails",
        signals=(
            Signal(
                "a CHAIN span with llm.system openai under an agent span, no input or output, named by the guardrail "
                "(not an SDK span type); an agent span's status 'Guardrail tripwire triggered: {'guardrail': name}'",
                "OpenAI Agents SDK traced by OpenInference",
                "Arize-ai/openinference python/instrumentation/openinference-instrumentation-openai-agents/.../"
                "_processor.py (_get_span_kind: GuardrailSpanData CHAIN; _get_span_name; on_span_end writes no "
                "triggered); openai-agents-python src/agents/_run_impl.py (run_single_input_guardrail: "
                "guardrail_span), src/agents/run.py (_run_input_guardrails: SpanError on the agent span)",
                "kind=guardrail (a check that ran and passed: a review before what follows); the one a tripwire "
                "error names: pause_kind=tripwire (a stop)",
            ),
        ),
        extract=_extract,
        status=_status,
        columns={
            "guardrail_check": "an OpenAI Agents SDK guardrail OpenInference wrote as a CHAIN span, now kind guardrail "
            "(pause_kind tripwire where a tripwire error names it)",
        },
    )
)
