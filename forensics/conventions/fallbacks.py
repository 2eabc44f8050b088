"""Fallbacks the framework itself declares: ``fallback_of`` names the span a fallback replaced.

* LangChain ``Runnable.with_fallbacks`` builds a ``RunnableWithFallbacks``: its run (named after the
  class) starts the primary as a child, and on an exception in ``exceptions_to_handle`` the next
  fallback as the next child. A child after a failed sibling is a fallback of that sibling.
* pydantic-ai's ``FallbackModel`` names its model ``fallback:<model>,<model>...`` (its
  ``model_name``), so its chat span is ``chat fallback:...``; it calls each model in turn until one
  answers (``fallback_on``: an API status error by default). Under that span, an HTTP request that
  succeeded after failed ones to another URL is the next model answering: a fallback of the last
  failed request before it (the failed model's client may have resent it first: one attempt group).
* LiteLLM's Router logs ``attempted_fallbacks`` (the number of fallbacks tried before the call that
  answered) in its metadata (``run_async_fallback`` sets it with ``model_group`` and
  ``original_model_group``; the OpenTelemetry logger writes it as ``metadata.attempted_fallbacks``):
  a model call with one or more is a fallback of the last failed model call before it, whatever
  the deployments' model names (two deployments of one model name in two groups) and wherever
  each call's span sits.
* DSPy's ``ChatAdapter.__call__`` (and any adapter that inherits it, XMLAdapter) catches what its
  parse raised and calls ``JSONAdapter()(...)`` with the same inputs (ContextWindowExceededError
  alone is re-raised; dspy/adapters/chat_adapter.py). The OpenInference DSPy instrumentor wraps only
  the base ``Adapter.__call__``/``acall`` (span ``<Adapter class>.__call__``), whose span has ended
  in error by the time the override falls back: the ``JSONAdapter.__call__`` span is the failed
  adapter span's next sibling under the same Predict span, a fallback of it.

A declared fallback that answers nothing is no recovery: LangChain's
``with_structured_output(include_raw=True)`` builds ``parser_assign.with_fallbacks([parser_none],
exception_key="parsing_error")``, where ``parser_none = RunnablePassthrough.assign(parsed=lambda _:
None)`` (langchain-ai/langchain ``libs/core/langchain_core/language_models/chat_models.py``, and each
provider's ``with_structured_output``): when the parser raises, the fallback returns ``{"raw": ...,
"parsing_error": <the exception>, "parsed": None}``. Its run ends OK, and its output is the failure
handed on as data (``fallback_answered_nothing``: the output's ``parsed`` null beside a
``parsing_error`` that is not; such a fallback is not ``succeeded``), so the parser's failure stands
unless something later parsed (the app invoking the chain again).
"""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.conventions.registry import Convention, Q, Signal, json_scalar, on_rows, register

WITH_FALLBACKS: Final = "RunnableWithFallbacks"
#: pydantic-ai's FallbackModel.model_name, in its chat span's name (``{operation} {model_name}``).
FALLBACK_MODEL: Final = r"^\S+ fallback:"
#: The OpenInference DSPy instrumentor's adapter span: ``instance.__class__.__name__ + ".__call__"``
#: (``.acall`` when awaited), _AdapterCallWrapper / _AdapterAcallWrapper.
DSPY_ADAPTER: Final = r"^\w*Adapter\.(?:__call__|acall)$"
#: ChatAdapter's fallback target: JSONAdapter itself re-raises (no fallback of a fallback).
DSPY_JSON_ADAPTER: Final = r"^JSONAdapter\.(?:__call__|acall)$"
#: with_structured_output(include_raw=True)'s fallback output: ``parsed`` null, and a
#: ``parsing_error`` that holds the exception (a string or an object, not null).
PARSED_NONE: Final = rf"{Q}parsed{Q}\s*:\s*null\b"
PARSING_ERROR: Final = rf"{Q}parsing_error{Q}\s*:\s*(?:{Q}|\{{)"


def _extract() -> list[pl.Expr]:
    return [
        # Nested in the logged metadata (Langfuse, the callbacks' StandardLoggingPayload), or flat
        # on an OpenTelemetry span: LiteLLM's OpenTelemetry logger sets each metadata key as the
        # attribute "metadata.<key>" (litellm/integrations/opentelemetry.py set_attributes).
        json_scalar("attributes", r"(?:metadata\.)?attempted_fallbacks", "attempted_fallbacks")
        .cast(pl.Int64, strict=False)
        .alias("_cv_attempted_fallbacks"),
        json_scalar("attributes", "final_output", "final_output").alias("_cv_final_output"),
        on_rows(
            pl.col("output").str.contains("parsing_error", literal=True).fill_null(False),
            pl.col("output"),
            lambda e: e.str.contains(PARSED_NONE) & e.str.contains(PARSING_ERROR),
        )
        .fill_null(False)
        .alias("_cv_parsed_none"),
    ]


def _handler_status(df: pl.DataFrame) -> pl.DataFrame:
    carries = ~pl.col("failed") & (pl.col("_cv_final_output").str.strip_chars().str.len_chars() > 0)
    return df.with_columns(carries.fill_null(False).alias("handler_output"))


def _structure(df: pl.DataFrame) -> pl.DataFrame:
    out = pl.repeat(None, df.height, dtype=pl.String, eager=True).alias("fallback_of")
    rows = df.select(
        pl.int_range(pl.len(), dtype=pl.UInt32).alias("_row"),
        "run_key",
        "seq",
        "span_id",
        "span_k",
        "parent_k",
        "kind",
        "failed",
        "_cv_attempted_fallbacks",
    )
    # LangChain: the children of a RunnableWithFallbacks run, in run order; a child after a failed
    # sibling is that sibling's fallback.
    wrappers = df.filter(pl.col("name") == WITH_FALLBACKS).get_column("span_k").implode()
    kids = rows.filter(pl.col("parent_k").is_in(wrappers)).sort("parent_k", "seq")
    if kids.height:
        prev = kids.select(
            "_row",
            pl.when(pl.col("failed").shift(1).over("parent_k"))
            .then(pl.col("span_id").shift(1).over("parent_k"))
            .alias("of"),
        ).drop_nulls("of")
        out = out.scatter(prev.get_column("_row"), prev.get_column("of"))
    # pydantic-ai FallbackModel: under its chat span, a request that succeeded after a failed one to
    # another URL replaces the last failed request before it. handling.inside_returned_model_call
    # finds the same by structure where the answer came from another host, and this rule stays for
    # what only the name says: another path on the same host (two Azure OpenAI deployments of one
    # resource, openai-python src/openai/lib/azure.py /deployments/{model}/...), requests recorded
    # without a URL, and a FallbackModel span that is no ended model call; it also gives the failed
    # attempt group its recovery (fallback_of: attempts.group_recovered, facts).
    fallback_models = df.filter(pl.col("name").str.contains(FALLBACK_MODEL).fill_null(False)).get_column("span_k").implode()
    requests = (
        df.select(
            pl.int_range(pl.len(), dtype=pl.UInt32).alias("_row"),
            "parent_k",
            "seq",
            "span_id",
            "failed",
            "succeeded",
            pl.coalesce("_cv_http_url", "name").alias("_url"),
        )
        .filter(pl.col("parent_k").is_in(fallback_models))
        .sort("parent_k", "seq")
    )
    if requests.height:
        last_failed = pl.when(pl.col("failed"))
        hit = (
            requests.with_columns(
                last_failed.then(pl.col("span_id")).forward_fill().shift(1).over("parent_k").alias("of"),
                last_failed.then(pl.col("_url")).forward_fill().shift(1).over("parent_k").alias("of_url"),
            )
            .filter(pl.col("succeeded") & pl.col("of").is_not_null() & (pl.col("_url") != pl.col("of_url")))
        )
        out = out.scatter(hit.get_column("_row"), hit.get_column("of"))
    # DSPy: among the adapter spans under one parent (the Predict span), a JSONAdapter span right
    # after a failed adapter span of another class is ChatAdapter's fallback to JSONAdapter.
    adapters = (
        rows.with_columns(df.get_column("name").alias("_name"))
        .filter(pl.col("_name").str.contains(DSPY_ADAPTER).fill_null(False) & pl.col("parent_k").is_not_null())
        .sort("parent_k", "seq")
    )
    if adapters.height:
        hit = adapters.with_columns(
            pl.col("span_id").shift(1).over("parent_k").alias("of"),
            pl.col("failed").shift(1).over("parent_k").fill_null(False).alias("_after_failed"),
            pl.col("_name").shift(1).over("parent_k").alias("_before"),
        ).filter(
            pl.col("_name").str.contains(DSPY_JSON_ADAPTER)
            & pl.col("_after_failed")
            & ~pl.col("_before").str.contains(DSPY_JSON_ADAPTER)
        )
        out = out.scatter(hit.get_column("_row"), hit.get_column("of"))
    # LiteLLM: a model call after attempted fallbacks replaces the last failed model call before it.
    marked = rows.filter((pl.col("kind") == "llm") & (pl.col("_cv_attempted_fallbacks") > 0))
    if marked.height:
        failed_llm = rows.filter((pl.col("kind") == "llm") & pl.col("failed")).select(
            "run_key", "seq", pl.col("span_id").alias("of")
        )
        hit = (
            marked.select("_row", "run_key", "seq")
            .sort("seq")
            .join_asof(
                failed_llm.sort("seq"),
                on="seq",
                by="run_key",
                strategy="backward",
                allow_exact_matches=False,
                # Sorted by seq above; polars cannot check sortedness within the by-groups.
                check_sortedness=False,
            )
            .drop_nulls("of")
        )
        out = out.scatter(hit.get_column("_row"), hit.get_column("of"))
    # A fallback that answered nothing (with_structured_output's parser_none) gave no replacement:
    # it did not succeed at what it stood in for, so the failure it followed is not recovered by it.
    # It is not error_shaped: its output is the failure it followed, told once, there (the
    # parser's), and the app's own later parse recovers that failure as any retry does.
    nothing = pl.col("_cv_parsed_none") & pl.col("fallback_of").is_not_null() & ~pl.col("failed")
    return (
        df.with_columns(out)
        .with_columns(nothing.alias("fallback_answered_nothing"))
        .with_columns((pl.col("succeeded") & ~pl.col("fallback_answered_nothing")).alias("succeeded"))
    )


register(
    Convention(
        name="fallbacks",
        signals=(
            Signal(
                "RunnableWithFallbacks run: children are the primary then each fallback",
                "LangChain (with_fallbacks)",
                "libs/core/langchain_core/runnables/fallbacks.py (RunnableWithFallbacks.invoke)",
                "fallback_of",
            ),
            Signal(
                'a with_fallbacks fallback whose output is {"parsed": null, "parsing_error": <the exception>} (with_structured_output(include_raw=True): parser_none under exception_key="parsing_error")',
                "LangChain (with_structured_output include_raw)",
                "libs/core/langchain_core/language_models/chat_models.py (BaseChatModel.with_structured_output: parser_assign.with_fallbacks([parser_none], exception_key=\"parsing_error\"))",
                "fallback_answered_nothing, not succeeded (no successful fallback: the parser's failure stands)",
            ),
            Signal(
                "a chat span named '<operation> fallback:<model>,<model>' (FallbackModel.model_name); under it, a request that succeeded after a failed one to another URL",
                "pydantic-ai FallbackModel",
                "pydantic_ai_slim/pydantic_ai/models/fallback.py (FallbackModel.model_name, request: the next model on fallback_on); tests/models/test_fallback.py (test_init: 'fallback:...')",
                "fallback_of",
            ),
            Signal(
                "attempted_fallbacks in the logging metadata, or metadata.attempted_fallbacks on an OpenTelemetry span",
                "LiteLLM Router fallbacks",
                "litellm/router.py (async_function_with_fallbacks), litellm/types/utils.py (StandardLoggingMetadata), litellm/integrations/opentelemetry.py (set_attributes: metadata.<key>)",
                "fallback_of (the failure's handled_by is fallback, even where the deployments share a model name)",
            ),
            Signal(
                "a JSONAdapter.__call__ (or .acall) span right after a failed <Adapter>.__call__ sibling under the same Predict span",
                "DSPy (OpenInference DSPy instrumentor)",
                "stanfordnlp/dspy dspy/adapters/chat_adapter.py (ChatAdapter.__call__: except -> JSONAdapter()(...)); openinference-instrumentation-dspy __init__.py (_AdapterCallWrapper wraps Adapter.__call__, span '<class>.__call__')",
                "fallback_of",
            ),
        ),
        extract=_extract,
        structure=_structure,
        columns={
            "fallback_of": "span id of the failed call this span is a declared fallback for",
            "fallback_answered_nothing": "a declared fallback whose output is the failure handed on as data (with_structured_output's parsed null beside its parsing_error)",
        },
    )
)


register(
    Convention(
        name="run_error_handlers",
        signals=(
            Signal(
                "a span ended OK carrying the run's final_output (a run error handler's result), after 'Max turns exceeded'",
                "OpenAI Agents SDK (error_handlers max_turns)",
                "src/agents/run_internal/error_handlers.py (resolve_run_error_handler_result, RunErrorHandlerResult.final_output); src/agents/run.py (handler_result else raise max_turns_error)",
                "handler_output",
            ),
        ),
        status=_handler_status,
        columns={"handler_output": "the span ended OK carrying a final output (final_output): after a limit stop, the run's error handler answered it"},
    )
)
