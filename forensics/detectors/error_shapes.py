"""What follows an error-shaped result, for ``silent_failure.error_as_data``: its reason relayed to
the user, the thing looked up another way, and retrievals that found nothing under an answer."""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.detectors.base import Context

#: An assistant message saying the thing was not done ("I wasn't able to switch you", "could not").
_NOT_DONE: Final = (
    r"(?i)\b(?:wasn'?t|was\s+not|were\s+not|weren'?t|couldn'?t|could\s+not|unable|not\s+able|can'?t|cannot|"
    r"didn'?t|did\s+not|hasn'?t|has\s+not|haven'?t|have\s+not|isn'?t|is\s+not)\b"
)


def _stems(text: pl.Expr) -> pl.Expr:
    """The distinct word stems of ``text`` (words of 5+ letters, their first 5), JSON keys left out."""
    return (
        text.str.replace_all(r'"[^"]*"\s*:', " ")
        .str.to_lowercase()
        .str.extract_all(r"[a-z]{5,}")
        .list.eval(pl.element().str.slice(0, 5))
        .list.unique()
    )


def _absent(text: pl.Expr) -> pl.Expr:
    """What ``text`` says there is none of: the word after each "no" ("no forecast", "no seats")."""
    return text.str.to_lowercase().str.extract_all(r"\bno\s+[a-z]{4,}").list.eval(pl.element().str.slice(3).str.strip_chars()).list.unique()


def _tokens(text: pl.Expr) -> pl.Expr:
    """The distinct words and numbers of ``text`` (two characters or more), JSON keys left out."""
    return text.str.replace_all(r'"[^"]*"\s*:', " ").str.to_lowercase().str.extract_all(r"[a-z0-9]{2,}").list.unique()


#: A LangChain object as langchain-core serialises it (``Serializable.to_json``, what LangChain's
#: tracer writes into a LangSmith run's inputs and outputs, and MLflow's and Langfuse's LangChain
#: callbacks keep): ``{"lc": 1, "type": "constructor", "id": ["langchain", "schema", "messages",
#: "ToolMessage"], "kwargs": {"content": "UPDATE 0", "type": "tool", "name": ..., "tool_call_id":
#: ..., "status": "success"}}`` (langchain-ai/langchain libs/core/langchain_core/load/serializable.py
#: ``to_json``: the class path in ``id``, the constructor's arguments in ``kwargs``). A model call's
#: run output is an ``LLMResult``, ``{"generations": [[{"text": ..., "message": {"lc": 1, ...}}]],
#: "llm_output": {...}}``. Matched as two tests, not one run of keys: an export may sort the keys.
_LC_MARK: Final = r'"lc"\s*:\s*1\b'
_LC_CONSTRUCTOR: Final = r'"type"\s*:\s*"constructor"'
#: What such a message carries to or from the model: its ``content`` (a string, or a list of blocks
#: whose ``text`` it is), a generation's ``text``, a Document's ``page_content``; each kept with its
#: key, which ``_stems`` and ``_tokens`` leave out.
_LC_SAID: Final = r'"(?:content|text|page_content)"\s*:\s*"(?:[^"\\]|\\.)*"'


def said_text(text: pl.Expr) -> pl.Expr:
    """The words ``text`` carries to or from the model: for a LangChain-serialised output
    (``_LC_MARK`` and ``_LC_CONSTRUCTOR``), its messages' content (``_LC_SAID``), JSON escapes
    undone, without the wrapper's class path (``langchain``, ``schema``, ``messages``,
    ``AIMessage``), message type, call ids, status or the model's response metadata, which every
    such output shares whatever was said; any other text, or one holding no content at all,
    unchanged."""
    wrapped = text.str.contains(_LC_MARK) & text.str.contains(_LC_CONSTRUCTOR)
    found = text.str.extract_all(_LC_SAID)
    said = (
        found.list.join(" ")
        .str.replace_all(r'\"', '"', literal=True)
        .str.replace_all(r"\\(?:u[0-9a-fA-F]{4}|.)", " ")
    )
    return pl.when(wrapped.fill_null(False) & (found.list.len() > 0)).then(said).otherwise(text)


def relayed_error(ctx: Context, shaped: pl.LazyFrame) -> pl.LazyFrame:
    """``run_id, span_id`` of the ``shaped`` results (error-shaped outputs) whose reason a later
    assistant message passed on to the user: it says the thing was not done (``_NOT_DONE``) and
    shares at least three word stems with the error's own text (its message, not its keys). "I
    wasn't able to switch you: tariff changes are blocked while the account has a balance unpaid
    for 28 days" relays {"error": {"message": "tariff switches are blocked ... debit balance older
    than 28 days"}}: the run told the user, it did not go on as if it had succeeded. "Your balance
    is $0.00, so the refund can't go through" after "refund service unavailable" shares one stem:
    the error was read as data. A message that says again most of the error's own words and
    numbers (half its distinct words or more, at least four) passed its reason on, however it
    phrased the refusal: google-adk's function tools return {"status": "error", "error_message":
    ...} for the model to explain to the user (adk-docs tools/function-tools, "Return Type": the
    status key and a message the LLM can act on), and "February 2026 only has 28 days, so there is
    no 30 February" relays "Invalid date '2026-02-30': February 2026 has 28 days"."""
    # The words compared are the messages' (said_text): on a LangChain-serialised log every tool
    # result and model output shares the wrapper's ("constructor", "langchain", "schema",
    # "messages"), which read as the error said again however little the model said of it.
    said = said_text(pl.col("output"))
    errors = shaped.select(
        "run_id", "span_id", "seq", _stems(said).alias("_e"), _absent(said).alias("_ne"), _tokens(said).alias("_et"),
    ).collect()
    if errors.height == 0:
        return pl.LazyFrame(schema={"run_id": pl.String, "span_id": pl.String})
    later = (
        ctx.spans.lazy()
        .filter(pl.col("kind") == "llm")
        .join(errors.lazy().select("run_id").unique(), on="run_id", how="semi")
        .select(
            "run_id", pl.col("seq").alias("_l_seq"), _stems(said).alias("_m"), _absent(said).alias("_na"),
            said.str.contains(_NOT_DONE).fill_null(False).alias("_nd"), _tokens(said).alias("_mt"),
        )
    )
    return (
        errors.lazy()
        .join(later, on="run_id")
        .filter(
            (pl.col("_l_seq") > pl.col("seq"))
            & (
                (pl.col("_nd") & (pl.col("_e").list.set_intersection(pl.col("_m")).list.len() >= 3))
                # The error's own "no <thing>" said again ({"error": "no forecast available"} ->
                # "the service has no forecast that far out"): the absence was passed on.
                | (pl.col("_ne").list.set_intersection(pl.col("_na")).list.len() > 0)
                # Most of the error's own words said again: its reason was passed on.
                | (
                    (pl.col("_et").list.set_intersection(pl.col("_mt")).list.len() >= 4)
                    & (2 * pl.col("_et").list.set_intersection(pl.col("_mt")).list.len() >= pl.col("_et").list.len())
                )
            )
        )
        .select("run_id", "span_id")
        .unique()
    )


def found_another_way(ctx: Context, shaped: pl.LazyFrame) -> pl.LazyFrame:
    """``run_id, span_id`` of the ``shaped`` results of a lookup by one key that a later lookup of
    the same thing by another key answered (conventions ``lookup_of``: tau-bench's
    ``find_user_id_by_email`` -> "Error: user not found", then ``find_user_id_by_name_zip`` found the
    user): the step was done another way, a fallback, not an error read as data."""
    if "lookup_of" not in ctx.spans.columns:
        return pl.LazyFrame(schema={"run_id": pl.String, "span_id": pl.String})
    looks = ctx.spans.lazy().filter(pl.col("lookup_of").is_not_null())
    missed = shaped.select("run_id", "span_id").join(
        looks.select("run_id", "span_id", "seq", "lookup_of", "call_tool"), on=["run_id", "span_id"]
    )
    hits = looks.filter(~pl.col("failed") & ~pl.col("error_shaped")).select(
        "run_id", "lookup_of", pl.col("seq").alias("_h_seq"), pl.col("call_tool").alias("_h_tool")
    )
    return (
        missed.join(hits, on=["run_id", "lookup_of"])
        .filter((pl.col("_h_seq") > pl.col("seq")) & (pl.col("_h_tool") != pl.col("call_tool")))
        .select("run_id", "span_id")
        .unique()
    )


#: A retriever's result with no document in it: MLflow's RETRIEVER span outputs a list of
#: Documents (``[]`` when nothing matched; mlflow.org docs, concepts/span "RETRIEVER"), a LangChain
#: retriever run (LangSmith run_type "retriever") ``{"documents": []}``.
_NO_DOCUMENTS: Final = r'^\s*(?:\[\s*\]|\{\s*\\?"documents\\?"\s*:\s*\[\s*\]\s*\})\s*$'
#: A result object whose document list is empty beside fields that describe the query: Pinecone's
#: query response ``{"matches": [], "namespace": "...", "usage": {...}}`` (pinecone-io
#: python-client ``QueryResponse``), an app's own retriever observation (Langfuse v3
#: ``as_type="retriever"``: the output is whatever the function returned, ``{"documents": [],
#: "index": ...}``). Any list with something in it (``[[]]`` included: Chroma's per-query lists)
#: is a result, not nothing.
_EMPTY_LIST_FIELD: Final = r'^\s*\{.*\\?"(?:documents|matches|results)\\?"\s*:\s*\[\s*\]'
_SOME_LIST: Final = r"\[\s*[^\]\s]"


def no_documents(output: pl.Expr) -> pl.Expr:
    """A retriever's ``output`` holding no document (``_NO_DOCUMENTS``, ``_EMPTY_LIST_FIELD``)."""
    return (
        output.str.contains(_NO_DOCUMENTS)
        | (output.str.contains(_EMPTY_LIST_FIELD) & ~output.str.contains(_SOME_LIST))
    ).fill_null(False)
#: An answer saying nothing was found ("I couldn't find anything on that", "no information about").
_SAYS_NOT_FOUND: Final = (
    r"(?i)\b(?:no|not|couldn'?t|could\s+not|can'?t|cannot|unable\s+to|didn'?t|did\s+not|nothing)\b"
    r"[^.!?\n]{0,60}\b(?:find|found|locate|information|info|passages?|documents?|results?|match(?:es|ing)?|"
    r"mention(?:s|ed)?|details|sources?)\b"
)


#: A word naming the lookup itself: what an answer that says the search failed talks about.
_LOOKUP: Final = (
    r"\b(?:search(?:es|ed|ing)?|look\s*-?\s*ups?|looked\s+up|retriev\w*|knowledge\s*-?\s*base|kb|documentation|"
    r"docs|articles?|sources?|index|database|records?)\b"
)


def _says_lookup_failed() -> str:
    """A sentence naming a fault (handling.TELLS_OF_FAULT) and the lookup (``_LOOKUP``), in either
    order: "our knowledge base search is unavailable right now". A fault word alone is not enough:
    a support answer names the user's own error while it explains the fix ("the 'invalid signature'
    error clears within a few minutes"), which tells nothing of a search that found nothing."""
    from forensics.detectors.handling import TELLS_OF_FAULT

    fault = TELLS_OF_FAULT.removeprefix("(?i)")
    return rf"(?i)(?:{fault}[^.!?\n]*{_LOOKUP}|{_LOOKUP}[^.!?\n]*{fault})"


def ungrounded_retrievals(ctx: Context) -> pl.LazyFrame:
    """Retriever spans (kind retriever, or a tool querying a vector store) that returned no document, in runs where no retriever
    returned one and the run answered anyway without saying nothing was found: the answer stands on
    nothing the run retrieved, an empty result where data was expected (TAXONOMY error_as_data).
    An answer that says it found nothing ("I couldn't find that in our policies"), or that the
    lookup failed ("the knowledge base search is unavailable"), told the user."""
    # A tool whose work is a vector-store query is a retrieval too (conventions ``retrieves``).
    retrieval = (pl.col("kind") == "retriever") | pl.col("retrieves").fill_null(False)
    retrievals = ctx.spans.lazy().filter(retrieval & ~pl.col("failed"))
    empty = no_documents(pl.col("output"))
    runs = (
        retrievals.group_by("run_id")
        .agg(empty.all().alias("_none"))
        .filter(pl.col("_none"))
        .select("run_id")
        .join(
            ctx.runs.lazy()
            .filter(
                (pl.col("reported_outcome") != "error")
                & (pl.col("final_output").str.strip_chars().str.len_chars() > 0).fill_null(False)
                & ~pl.col("final_output").str.contains(_SAYS_NOT_FOUND).fill_null(False)
                & ~pl.col("final_output").str.contains(_says_lookup_failed()).fill_null(False)
            )
            .select("run_id"),
            on="run_id",
            how="semi",
        )
    )
    return retrievals.join(runs, on="run_id", how="semi").filter(empty)
