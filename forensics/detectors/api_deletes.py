"""Irreversible actions named by the service's API, not by the tool's name.

A tool called ``remove_customer``, ``http_request`` or ``hubspot_api`` says nothing the policy's
irreversible names read; the request it made does. Three places hold it:

- an HTTP client span (OpenTelemetry HTTP semantic conventions: ``http.request.method`` and
  ``url.full``; preparation: ``call`` = ``{METHOD} {host}{path}``): a ``DELETE`` (RFC 9110 section
  9.3.5: remove the target resource; Stripe ``DELETE /v1/customers/{id}`` "Permanently deletes a
  customer. It cannot be undone"; Salesforce REST ``DELETE /services/data/vXX.X/sobjects/{object}/{id}``),
  or a POST, PUT or PATCH to a path that names a removal (``_REMOVAL_PATH``: HubSpot
  ``POST /crm/v3/objects/contacts/gdpr-delete``, "permanently delete a
  contact and all associated content to follow GDPR"; ``/purge``);
- a tool call whose arguments are such a request: an HTTP method key (``method``, ``http_method``,
  ``verb``) and a target (``url``, ``path``, ``endpoint``), read the same way;
- an AWS SDK span (opentelemetry-instrumentation-botocore: ``rpc.system`` aws-api, span name
  ``{rpc.service}.{rpc.method}``, ``S3.DeleteObjects``): an operation the policy's irreversible names read
  (``DeleteObjects``, ``DeleteTable``, ``PurgeQueue``).

A request made inside a tool call is that call's doing: the tool span is the action judged (its
approval, its result), not the request under it. A request inside a model call (a provider's own
cleanup) is no action of the agent's.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.detectors.base import Context

_EMPTY: Final = {"run_id": pl.String, "span_id": pl.String}
#: A call's JSON arguments naming an HTTP request: its method, and its target.
_ARG_METHOD: Final = r'(?i)"(?:method|http_method|httpMethod|verb)"\s*:\s*"(DELETE|POST|PUT|PATCH)"'
_ARG_TARGET: Final = r'(?i)"(?:url|uri|path|endpoint|route|resource)"\s*:\s*"([^"]+)"'
#: The AWS SDK operation of a botocore span, named ``{rpc.service}.{rpc.method}``
#: (opentelemetry-instrumentation-botocore: ``S3.DeleteObjects``), and the label's path after its host.
_AWS_OPERATION: Final = r"^[A-Za-z0-9]+\.([A-Z][A-Za-z0-9]+)$"
_LABEL: Final = r"^([A-Z]+) [^/\s]*(/\S*)?$"
#: A path that names a removal: a segment (or a hyphenated or underscored part of one) that is a
#: removal verb (HubSpot ``/crm/v3/objects/contacts/gdpr-delete``, ``/purge``, ``/v1/records/erase``).
#: Not the policy's irreversible names, which are written for tool names: over a path they read the
#: collections a POST creates in or calls into, named by nouns (Azure OpenAI's
#: ``/openai/deployments/{name}/embeddings`` is a model call; ``/v1/refunds``, ``/v2/payments`` take
#: requests that create, quote or search), as "deploy" and "pay".
_REMOVAL_PATH: Final = (
    r"(?i)(?:^|[/_-])(?:delete|purge|erase|wipe|destroy|expunge|shred|truncate|drop)(?:[/_-]|\?|$)"
)


def irreversible_requests(ctx: Context) -> pl.LazyFrame:
    """``run_id, span_id`` of the actions whose request is irreversible by the service's API: the
    tool span for a request made inside a tool call, else the request's own span."""
    irreversible = ctx.policy.irreversible

    def by_method_and_path(method: pl.Expr, path: pl.Expr) -> pl.Expr:
        m = method.str.to_uppercase()
        return (m == "DELETE") | (m.is_in(["POST", "PUT", "PATCH"]) & path.str.contains(_REMOVAL_PATH))

    s = ctx.spans.lazy()
    label = pl.col("call")
    # The few spans each test can hold are taken out first and the regexes read on them only: one
    # filter's cheap tests and its regexes are a single predicate, which polars evaluates whole over
    # every span (at 584k spans with none to find, 0.34 CPU s; taken out first, ~0.07).
    requests_made = (
        s.filter(~pl.col("kind").is_in(["llm", "agent", "tool"]))
        .select("run_id", "span_id", "parent_id", "seq", "call", "http_method")
        .collect()
        .lazy()
    )
    http = requests_made.filter(
        pl.col("http_method").is_not_null()
        & by_method_and_path(label.str.extract(_LABEL, 1), label.str.extract(_LABEL, 2)).fill_null(False)
    ).collect().lazy()
    aws = requests_made.filter(
        pl.col("call").str.extract(_AWS_OPERATION, 1).str.contains(irreversible).fill_null(False)
    )
    calls = s.filter((pl.col("kind") == "tool") & ~pl.col("is_irreversible")).select("run_id", "span_id", "args")
    # The target is read only in the arguments that name a method (a call with none is no request).
    in_args = (
        calls.select("run_id", "span_id", "args", pl.col("args").str.extract(_ARG_METHOD, 1).alias("_method"))
        .filter(pl.col("_method").is_not_null())
        .collect()
        .lazy()
        .filter(by_method_and_path(pl.col("_method"), pl.col("args").str.extract(_ARG_TARGET, 1)).fill_null(False))
        .select("run_id", "span_id")
    )
    http = http.join(_deleting_what_it_made(s, http), on=["run_id", "span_id"], how="anti")
    requests = pl.concat([http, aws]).select("run_id", "span_id", "parent_id")
    parents = s.select("run_id", pl.col("span_id").alias("parent_id"), pl.col("kind").alias("p_kind"))
    placed = requests.join(parents, on=["run_id", "parent_id"], how="left").filter(pl.col("p_kind").ne_missing("llm"))
    return pl.concat(
        [
            placed.select(
                "run_id",
                pl.when(pl.col("p_kind") == "tool").then(pl.col("parent_id")).otherwise(pl.col("span_id")).alias("span_id"),
            ),
            in_args,
        ]
    ).unique()


def _deleting_what_it_made(s: pl.LazyFrame, requests: pl.LazyFrame) -> pl.LazyFrame:
    """``run_id, span_id`` of the DELETE requests that remove an object the run itself created: a
    successful POST of the run to the collection the object belongs to (``POST /v1/files``, then
    ``DELETE /v1/files/file-abc``) with no span before that POST naming the object's id (the last
    segment of the DELETE's path) in its arguments or result. A scratch object made and removed
    again takes away nothing that was there before the run (as own_objects judges tool calls)."""
    label = pl.col("call")
    deletes = (
        requests.filter(label.str.extract(_LABEL, 1) == "DELETE")
        .select(
            "run_id", "span_id", "seq",
            label.str.replace(r"^DELETE ", "").str.replace(r"/[^/]+/?$", "").alias("collection"),
            label.str.extract(r"/([^/]+)/?$", 1).alias("object_id"),
        )
        .filter(pl.col("object_id").str.len_chars() >= 3)
    )
    posts = s.filter(
        (pl.col("http_method").str.to_uppercase() == "POST") & pl.col("succeeded")
    ).select("run_id", pl.col("seq").alias("c_seq"), label.str.replace(r"^POST ", "").alias("collection"))
    created = deletes.join(posts, on=["run_id", "collection"]).filter(pl.col("c_seq") < pl.col("seq"))
    named_before = (
        created.join(s.select("run_id", pl.col("seq").alias("m_seq"), "output", "args"), on="run_id")
        .filter(
            (pl.col("m_seq") < pl.col("c_seq"))
            & (
                pl.col("output").str.contains(pl.col("object_id"), literal=True).fill_null(False)
                | pl.col("args").str.contains(pl.col("object_id"), literal=True).fill_null(False)
            )
        )
        .select("run_id", "span_id", "c_seq")
    )
    return created.join(named_before, on=["run_id", "span_id", "c_seq"], how="anti").select("run_id", "span_id").unique()
