"""A model output as long as the cap its request set: the provider cut it there.

A request's output cap (``max_tokens``) stops generation when the output reaches it: OpenAI answers
with ``finish_reason: "length"``, Anthropic with ``stop_reason: "max_tokens"``. Many
instrumentations record no finish reason but do record the request's cap beside the output's
token count; an output whose count equals the cap is the output the provider cut (TAXONOMY
context_overflow: "the output was cut (finish_reason=length, max_tokens)"), whatever else the span
says. Where each framework writes the two:

* the OpenAI Agents SDK's generation span: ``model_config`` is ``model_settings.to_json_dict()``
  (``max_tokens`` among them) and ``usage.output_tokens`` (src/agents/tracing/span_data.py
  ``GenerationSpanData``; src/agents/models/openai_chatcompletions.py ``generation_span(model_config=
  ...)``, ``span_generation.span_data.usage``);
* OpenInference: ``llm.invocation_parameters``, the request's parameters as JSON (``max_tokens``,
  ``max_completion_tokens``; smolagents' model kwargs, ``max_tokens`` of ``Model.__init__``,
  src/smolagents/models.py), beside ``llm.token_count.completion``;
* the OTel GenAI conventions: ``gen_ai.request.max_tokens`` beside ``gen_ai.usage.output_tokens``
  (opentelemetry-instrumentation-openai-v2 utils.py ``get_llm_request_attributes``:
  ``GEN_AI_REQUEST_MAX_TOKENS: kwargs.get("max_tokens")``); the Vercel AI SDK's
  ``ai.settings.maxTokens`` (``maxOutputTokens`` from v5) beside ``ai.usage.completionTokens``;
* LangSmith's ``extra.invocation_params`` (``max_tokens``; ``ls_max_tokens``, langsmith
  schemas ``InvocationParamsSchema``) and Langfuse's ``modelParameters`` (both loaders keep them in
  ``attributes``); Hugging Face ``max_new_tokens``, Gemini ``max_output_tokens``/``maxOutputTokens``,
  Ollama ``num_predict``.

Only an output EQUAL to the cap is read as cut: a count above it is no single request's output (a
total over several steps, as the Vercel AI SDK's ``ai.generateText`` span sums its steps under a
per-step cap). What follows decides whether anything was lost (context_overflow: a retry with a
higher cap, or a continuation).
"""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.conventions.registry import Convention, Q, Signal, contains_literal, on_rows, register

#: The request's output cap: the parameter names each framework records it under (a plain key in a
#: parameters object, or an OTel attribute with its namespace), with a whole number (Langfuse keeps
#: modelParameters values as strings: "1024"). A null or -1 (Ollama's "no limit") is no cap.
OUTPUT_CAP: Final = (
    rf"{Q}(?:gen_ai\.request\.|llm\.request\.|ai\.settings\.|ls_)?"
    rf"(?:max_tokens|max_completion_tokens|max_new_tokens|max_output_tokens|maxTokens|maxOutputTokens|num_predict)"
    rf"{Q}\s*:\s*(?:{Q})?(\d+)\b"
)
#: Literals one of the cap's names holds (the regex reads only the model calls holding one).
_NEEDLE: Final = "(?i-u)max_|maxtokens|maxoutput|num_predict"


#: One turn's role in a model call's request as instrumentations flatten it: OpenInference
#: ``llm.input_messages.<i>.message.role`` (openinference-semantic-conventions LLM_INPUT_MESSAGES,
#: MESSAGE_ROLE), OpenLLMetry ``gen_ai.prompt.<i>.role`` (semconv_messages).
TURN_ROLE: Final = rf"{Q}(?:llm\.input_messages|gen_ai\.prompt)\.(\d+)\.(?:message\.)?role{Q}\s*:\s*{Q}(\w+)"
_TURN_NEEDLE: Final = ("llm.input_messages.", "gen_ai.prompt.")


def _last_turn_role(e: pl.Expr) -> pl.Expr:
    """The role of the last turn (the highest index) of a request's flattened messages, lowercase."""
    last = e.str.extract_all(TURN_ROLE).list.eval(
        pl.element().sort_by(pl.element().str.extract(TURN_ROLE, 1).cast(pl.Int64, strict=False)).last()
    )
    return last.list.first().str.extract(TURN_ROLE, 2).str.to_lowercase()


def _extract() -> list[pl.Expr]:
    cap = on_rows(
        pl.col("kind") == "llm",
        pl.col("attributes"),
        lambda e: pl.when(e.str.contains(_NEEDLE)).then(e).str.extract(OUTPUT_CAP, 1),
    ).cast(pl.Int64, strict=False)
    # Only model calls whose request's messages are flattened into attributes are read.
    attrs = pl.col("attributes")
    # (The literal scan reads the model calls' attributes only, both needles in one pass.)
    flattened = (pl.col("kind") == "llm") & on_rows(
        pl.col("kind") == "llm", attrs, lambda e: contains_literal(e, _TURN_NEEDLE)
    ).fill_null(False)
    turn = on_rows(flattened, attrs, _last_turn_role)
    return [cap.alias("_cv_output_cap"), turn.alias("_cv_last_turn_role")]


def _status(df: pl.DataFrame) -> pl.DataFrame:
    cap = pl.when(pl.col("_cv_output_cap") > 0).then(pl.col("_cv_output_cap"))
    return df.with_columns(
        cap.alias("output_cap"),
        pl.col("_cv_last_turn_role").alias("last_turn_role"),
        ((pl.col("kind") == "llm") & (pl.col("output_tokens") == cap)).fill_null(False).alias("cut_at_cap"),
    )


register(
    Convention(
        name="output_cap",
        signals=(
            Signal(
                "model_config.max_tokens beside usage.output_tokens on a generation span",
                "OpenAI Agents SDK",
                "src/agents/tracing/span_data.py (GenerationSpanData: model_config, usage); "
                "src/agents/models/openai_chatcompletions.py (generation_span(model_config=model_settings.to_json_dict()))",
                "output_cap; cut_at_cap when output_tokens equals it",
            ),
            Signal(
                "llm.invocation_parameters {\"max_tokens\"|\"max_completion_tokens\"|\"max_new_tokens\": N} beside llm.token_count.completion",
                "OpenInference (openai, langchain, smolagents ... instrumentations)",
                "openinference-semantic-conventions (LLM_INVOCATION_PARAMETERS); smolagents src/smolagents/models.py (Model kwargs: max_tokens)",
                "output_cap; cut_at_cap when output_tokens equals it",
            ),
            Signal(
                "gen_ai.request.max_tokens beside gen_ai.usage.output_tokens; ai.settings.maxTokens / maxOutputTokens beside ai.usage.completionTokens",
                "OTel GenAI semantic conventions; Vercel AI SDK",
                "opentelemetry-instrumentation-openai-v2 utils.py (get_llm_request_attributes: GEN_AI_REQUEST_MAX_TOKENS); "
                "ai packages/ai/core/telemetry (ai.settings.*)",
                "output_cap; cut_at_cap when output_tokens equals it",
            ),
            Signal(
                "extra.invocation_params.max_tokens / ls_max_tokens (LangSmith); modelParameters.max_tokens (Langfuse); "
                "max_output_tokens / maxOutputTokens (Gemini); num_predict (Ollama)",
                "LangChain (LangSmith, Langfuse callbacks); Gemini; Ollama",
                "langsmith schemas (InvocationParamsSchema: ls_max_tokens); langchain_core callbacks (invocation_params); "
                "Langfuse observation modelParameters",
                "output_cap; cut_at_cap when output_tokens equals it",
            ),
            Signal(
                "llm.input_messages.<i>.message.role (OpenInference), gen_ai.prompt.<i>.role (OpenLLMetry): the last turn of a request",
                "OpenInference (anthropic, openai ... instrumentations); Traceloop OpenLLMetry",
                "openinference-semantic-conventions (LLM_INPUT_MESSAGES, MESSAGE_ROLE); openinference-instrumentation-anthropic "
                "_wrappers.py; anthropic-sdk-python types/message.py (stop_reason max_tokens: continue by prefilling the cut text "
                "as the last assistant turn)",
                "last_turn_role: a call after a cut output whose request ends on a new user or tool turn is no continuation",
            ),
        ),
        extract=_extract,
        status=_status,
        columns={
            "output_cap": "the output token cap a model call's request set (max_tokens and its aliases), else null",
            "cut_at_cap": "a model call whose output tokens equal its request's cap: the provider cut the output there",
            "last_turn_role": "the role of the last turn of a model call's request where its messages are flattened "
            "into attributes (user, assistant, tool ...), else null",
        },
    )
)
