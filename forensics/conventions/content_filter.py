"""A model call the provider's content filter stopped: the call returned, its answer did not.

OpenAI and Azure OpenAI end a choice whose content the filter withheld or cut with
``finish_reason: "content_filter"`` (openai-python ``types/chat/chat_completion.py``: ``Choice.
finish_reason`` is one of stop, length, tool_calls, content_filter, function_call), the content null
or cut short, and HTTP 200: no exception, so no instrumentation marks the span as failed. Where
each records the reason:

* the OTel GenAI conventions: ``gen_ai.response.finish_reasons`` (opentelemetry-instrumentation-
  openai-v2 ``patch.py``), and each output message's ``finish_reason`` in
  ``gen_ai.output.messages``; Microsoft Agent Framework writes both (``observability.py``
  ``FINISH_REASON_MAP``: "content_filter" kept as is);
* OpenLLMetry: ``gen_ai.completion.<i>.finish_reason`` (opentelemetry-instrumentation-openai
  ``shared/__init__.py`` ``_set_response_attributes``);
* OpenInference: the response itself as ``output.value`` (its ``choices[].finish_reason``);
* LangChain (LangSmith runs, Langfuse's callback): the generation's ``generation_info``
  ``{"finish_reason": ...}`` (langchain-openai ``chat_models/base.py`` ``_create_chat_result``);
* Gemini's ``finishReason`` SAFETY, PROHIBITED_CONTENT, BLOCKLIST, SPII, IMAGE_SAFETY
  (google-genai ``types.FinishReason``: generation stopped for flagged content); Amazon Bedrock
  Converse's ``stopReason`` content_filtered, guardrail_intervened.

Such a call failed at what it was for: ``failed`` is set on it, so every rule that judges a failure
(was it retried, handled, reported to the user: ``detectors.handling``) judges this one. Anthropic's
``refusal`` is not read: the model's refusal is its answer, text the user sees.

Bedrock's ``guardrail_intervened`` is not the provider's filter but the deployment's own guardrail
(``guardrailConfig`` with the guardrail id and version the app chose: strands-agents/sdk-python
``src/strands/models/bedrock.py`` ``format_request``) doing what it was configured to do: the blocked
input or output is replaced by the guardrail's configured message (``blockedOutputsMessaging``;
Strands redacts the turn in its history, ``_generate_redaction_events``, so the conversation goes
on), the event loop ends the cycle as on any other stop reason that is not ``tool_use``, and
the agent's result carries ``stop_reason == "guardrail_intervened"`` for the app to read. That
message is the designed answer, as a refusal is: ``guardrail_intervened`` marks the call
``guardrail_blocked``, never ``failed`` (a guardrail that tripped, like the OpenAI Agents SDK's
tripwire, is a designed stop).
"""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.conventions.registry import Convention, Q, Signal, on_rows, register

#: A finish (stop) reason key with a value saying the provider's filter stopped the output. The
#: key's own quote is unescaped: a field of the record itself, not words inside one of its strings
#: (a model's answer quoting a response, ``{\"finish_reason\": \"content_filter\"}``, in a test
#: fixture it writes, is text).
FILTERED_FINISH: Final = (
    rf"(?i)(?:^|[^\\])\"(?:gen_ai\.response\.finish_reasons?|finish_reasons?|finishReason|stop_reason|stopReason"
    rf"|llm\.finish_reason|gen_ai\.completion\.\d+\.finish_reason){Q}\s*:\s*\[?\s*{Q}"
    r"(content_filter|content_filtered|guardrail_intervened|safety|prohibited_content|blocklist|spii|image_safety)"
    rf"{Q}"
)


#: Literals one of the filtered reasons holds: the key-and-value regex reads only the model calls
#: holding one (a literal scan is cheap beside a regex over every model call's attributes).
_NEEDLE: Final = "(?i-u)content_filter|guardrail_interv|safety|prohibited_content|blocklist|spii"


def finish_reason(pattern: str, needle: str, alias: str) -> pl.Expr:
    """A model call's finish reason matched by ``pattern`` (group 1), lower-cased, as ``alias``: read
    from its attributes, else from its output where that is a record (the response, its messages: a
    model's plain-text answer holds only what the model wrote, whatever JSON it quotes). ``needle``,
    literals one of the reasons holds, lets the regex read only the model calls holding one."""

    def reason(col: str, rows: pl.Expr) -> pl.Expr:
        return on_rows(
            (pl.col("kind") == "llm") & rows,
            pl.col(col),
            lambda e: pl.when(e.str.contains(needle)).then(e).str.extract(pattern, 1),
        )

    # (Anchored, no copy of every output: `\s` is the White_Space that strip_chars_start strips.)
    record = pl.col("output").str.contains(r"^\s*[\[{]")
    return pl.coalesce(reason("attributes", pl.lit(True)), reason("output", record)).str.to_lowercase().alias(alias)


def _extract() -> list[pl.Expr]:
    return [finish_reason(FILTERED_FINISH, _NEEDLE, "_cv_filtered_by")]


#: The deployment's own guardrail (Bedrock Guardrails), not the provider's filter: a designed stop.
GUARDRAIL_STOP: Final = "guardrail_intervened"


def _status(df: pl.DataFrame) -> pl.DataFrame:
    guardrail = (pl.col("_cv_filtered_by") == GUARDRAIL_STOP).fill_null(False)
    filtered = pl.col("_cv_filtered_by").is_not_null() & ~guardrail
    return df.with_columns(
        pl.when(filtered & ~pl.col("failed"))
        .then(pl.format("finish_reason {}", pl.col("_cv_filtered_by")))
        .otherwise(pl.col("error_label"))
        .alias("error_label"),
        (pl.col("failed") | filtered).alias("failed"),
        filtered.alias("content_filtered"),
        guardrail.alias("guardrail_blocked"),
    )


_BECOMES: Final = "content_filtered; failed (error_label 'finish_reason <reason>')"

register(
    Convention(
        name="content_filter",
        signals=(
            Signal(
                "gen_ai.response.finish_reasons ['content_filter']; an output message's finish_reason content_filter; "
                "gen_ai.completion.<i>.finish_reason content_filter",
                "OTel GenAI semantic conventions (openai-v2); Microsoft Agent Framework; OpenLLMetry",
                "opentelemetry-instrumentation-openai-v2 patch.py (gen_ai.response.finish_reasons); microsoft/agent-framework "
                "python/packages/core/agent_framework/observability.py (FINISH_REASON_MAP); opentelemetry-instrumentation-openai "
                "shared/__init__.py (_set_response_attributes); openai-python types/chat/chat_completion.py (Choice.finish_reason)",
                _BECOMES,
            ),
            Signal(
                "finish_reason content_filter in a model call's output: the response (output.value) or a LangChain "
                "generation's generation_info",
                "OpenInference (openai); LangChain via LangSmith or Langfuse",
                "openinference-instrumentation-openai (output.value: the response); langchain-openai chat_models/base.py "
                "(_create_chat_result: generation_info finish_reason)",
                _BECOMES,
            ),
            Signal(
                "finishReason SAFETY / PROHIBITED_CONTENT / BLOCKLIST / SPII / IMAGE_SAFETY; stopReason content_filtered",
                "Gemini (google-genai); Amazon Bedrock Converse",
                "google-genai types.FinishReason; Bedrock Converse API (stopReason)",
                _BECOMES,
            ),
            Signal(
                "stopReason / finish_reason guardrail_intervened (Strands: the gen_ai.choice event's finish_reason)",
                "Amazon Bedrock Guardrails (Strands Agents BedrockModel with guardrail_id; any Converse caller)",
                "strands-agents/sdk-python src/strands/models/bedrock.py (format_request: guardrailConfig; "
                "_generate_redaction_events), src/strands/telemetry/tracer.py (end_model_invoke_span: gen_ai.choice "
                "finish_reason)",
                "guardrail_blocked (the deployment's guardrail answered with its configured message: a designed stop, "
                "not failed)",
            ),
        ),
        extract=_extract,
        status=_status,
        columns={
            "content_filtered": "a model call whose output the provider's content filter withheld or cut (a failure)",
            "guardrail_blocked": "a model call the deployment's own guardrail stopped (Bedrock guardrail_intervened): "
            "its configured message is the designed answer, not a failure",
        },
    )
)
