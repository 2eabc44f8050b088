"""A tool whose work is a vector-store query: a retrieval, whatever the tool is called.

An agent's knowledge-base tool (a LangChain ``@tool`` such as ``search_kb``) often queries a vector
store itself rather than through a LangChain retriever, so the trace holds a tool span, not a
retriever span. OpenLLMetry's vector-database instrumentations open a CLIENT span under it for the
query, with the store named in ``db.system`` (``SpanAttributes.VECTOR_DB_VENDOR``: "Pinecone" in
traceloop/openllmetry ``opentelemetry-instrumentation-pinecone`` ``__init__.py`` ``_wrap``, span
``pinecone.query``; likewise Chroma, Qdrant, Weaviate, Milvus, LanceDB, Marqo) and one
``db.query.result`` event per match (``query_handlers.py`` ``set_query_response``). The tool span
around such a query is a retrieval (``retrieves``): its empty result is "an empty result where data
was expected" (TAXONOMY error_as_data) exactly as a retriever's is
(``detectors.error_shapes.ungrounded_retrievals``). A tool that returns ``[]`` with no such query under
it (open tickets, none) is not judged.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.conventions.registry import Convention, Signal, json_scalar, parent_in, register

#: The vector stores OpenLLMetry instruments, as ``db.system`` names them (lower-cased).
VECTOR_STORES: Final = ("pinecone", "chroma", "qdrant", "weaviate", "milvus", "lancedb", "marqo")
#: The read operations of those clients (span names ``pinecone.query``, ``chroma.query``,
#: ``qdrant.search``, ``milvus.search``, ``weaviate...query...``): not upserts or deletes.
_READ_OP: Final = r"(?i)\b(?:query|search|similarity_search|near_text|near_vector|hybrid)\b|\.(?:query|search)"


def _extract() -> list[pl.Expr]:
    vendor = json_scalar("attributes", r"db\.system", "db.system").str.to_lowercase()
    return [
        (vendor.is_in(list(VECTOR_STORES)).fill_null(False) & pl.col("name").str.contains(_READ_OP).fill_null(False)).alias(
            "_cv_vector_query"
        )
    ]


def _status(df: pl.DataFrame) -> pl.DataFrame:
    return df.with_columns(
        ((pl.col("kind") == "tool") & parent_in(df, pl.col("_cv_vector_query"))).fill_null(False).alias("retrieves")
    )


register(
    Convention(
        name="vector_queries",
        signals=(
            Signal(
                "a vector-store query span (db.system Pinecone / Chroma / Qdrant / Weaviate / Milvus / LanceDB / Marqo, "
                "name <store>.query or .search) directly under a tool span",
                "OpenLLMetry (traceloop) vector-database instrumentations, under any framework's tool span",
                "traceloop/openllmetry packages/opentelemetry-instrumentation-pinecone/opentelemetry/instrumentation/"
                "pinecone/__init__.py (_wrap: SpanAttributes.VECTOR_DB_VENDOR 'Pinecone'), query_handlers.py "
                "(set_query_response: a db.query.result event per match)",
                "retrieves on the tool span (a retrieval: its empty result is judged as a retriever's)",
            ),
        ),
        extract=_extract,
        status=_status,
        columns={"retrieves": "a tool span whose work is a vector-store query (a retrieval whatever its name)"},
    )
)
