"""A model call that answered a malformed function call: the call returned, no call was made.

Gemini ends a candidate whose function call it could not produce in the declared schema with
``finishReason`` MALFORMED_FUNCTION_CALL (the call written as code, ``print(default_api.tool(...))``,
or with bad JSON), one naming a tool the request did not declare with UNEXPECTED_TOOL_CALL, and one
with more calls than allowed with TOO_MANY_TOOL_CALLS (google-genai ``types.FinishReason``). The
candidate has no parts and HTTP is 200: no exception, so no instrumentation marks the span failed.

Google ADK turns such a candidate into an error response: ``LlmResponse.create`` returns
``LlmResponse(error_code=candidate.finish_reason, error_message=candidate.finish_message)`` when the
candidate has no content parts and its finish reason is not STOP (google/adk-python
``src/google/adk/models/llm_response.py``), and the flow yields it as the agent's event, with no
text and no call: the invocation ends there, on an empty final response, unless the app retries
(``on_model_error`` callbacks see exceptions only). ADK's telemetry writes the response as the
call_llm span's ``gcp.vertex.agent.llm_response`` (``model_dump_json(exclude_none=True)``: the
``error_code`` key is there only when set) and its finish reason as ``gen_ai.response.finish_reasons``
(``src/google/adk/telemetry/tracing.py`` ``trace_call_llm``).

Such a call failed at what it was for: ``failed`` is set on it, so every rule that judges a failure
(was it retried, handled, reported: ``detectors.handling``) judges this one. A re-prompt after it that
makes the call is its retry (the same model call again); ``max_tokens`` is not read here (a cut
output: ``output_cap``), nor the filter's reasons (``content_filter``).
"""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.conventions.content_filter import finish_reason
from forensics.conventions.registry import Convention, Q, Signal, register

#: A finish (stop) reason, or ADK's error_code, holding a function-call failure. The key's own
#: quote is unescaped: a field of the record itself, not words inside one of its strings (a
#: model's answer quoting a response is text).
MALFORMED_FINISH: Final = (
    rf"(?i)(?:^|[^\\])\"(?:gen_ai\.response\.finish_reasons?|finish_reasons?|finishReason|error_code"
    rf"|llm\.finish_reason|gen_ai\.completion\.\d+\.finish_reason){Q}\s*:\s*\[?\s*{Q}"
    r"(malformed_function_call|unexpected_tool_call|too_many_tool_calls)"
    rf"{Q}"
)

#: The literals one of the reasons holds: the regex reads only the model calls holding one.
_NEEDLE: Final = "(?i-u)malformed_function_call|unexpected_tool_call|too_many_tool_calls"


def _extract() -> list[pl.Expr]:
    return [finish_reason(MALFORMED_FINISH, _NEEDLE, "_cv_malformed_by")]


def _status(df: pl.DataFrame) -> pl.DataFrame:
    malformed = pl.col("_cv_malformed_by").is_not_null()
    return df.with_columns(
        pl.when(malformed & ~pl.col("failed"))
        .then(pl.format("finish_reason {}", pl.col("_cv_malformed_by")))
        .otherwise(pl.col("error_label"))
        .alias("error_label"),
        (pl.col("failed") | malformed).alias("failed"),
        malformed.alias("malformed_call"),
    )


register(
    Convention(
        name="malformed_calls",
        signals=(
            Signal(
                "finishReason MALFORMED_FUNCTION_CALL / UNEXPECTED_TOOL_CALL / TOO_MANY_TOOL_CALLS on a model call: "
                "gen_ai.response.finish_reasons, the response's finish_reason, ADK's LlmResponse error_code",
                "Gemini (google-genai); Google ADK",
                "google-genai types.FinishReason; google/adk-python src/google/adk/models/llm_response.py "
                "(LlmResponse.create: error_code=candidate.finish_reason when no parts and not STOP), "
                "src/google/adk/telemetry/tracing.py (trace_call_llm: gcp.vertex.agent.llm_response)",
                "malformed_call; failed (error_label 'finish_reason <reason>')",
            ),
        ),
        extract=_extract,
        status=_status,
        columns={
            "malformed_call": "a model call that answered a function call it could not make (Gemini "
            "MALFORMED_FUNCTION_CALL): a failure",
        },
    )
)
