"""How an HTTP client span is named in a finding: ``{METHOD} {host}{path}`` from the request's own
attributes, where the span's name is the bare method (split out of :mod:`preparation`, which derives it
once per classification as the ``call`` column)."""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.conventions.registry import where_contains

#: An HTTP request named by what it asked for. OTel's HTTP client spans are named ``{method}`` alone
#: when no low-cardinality target is known ("POST"; semantic-conventions docs/http/http-spans.md,
#: Name), and the old conventions' ``HTTP {method}``: a finding then said "unknown POST". The request is
#: in its attributes: url.full (stable; http.url before v1.21), else server.address (http.host,
#: net.peer.name) and url.template / http.route / url.path (http.target). The label keeps the URL's
#: host and path only: its scheme, user info, query and fragment (which may hold credentials or
#: personal data, as the spec warns for url.full) are left out.
_URL_HOST_PATH: Final = r"^[A-Za-z][A-Za-z0-9+.\-]*://(?:[^@/?#]*@)?([^/?#]+)([^?#]*)"
_HTTP_HOST_KEYS: Final = (r"server\.address", r"http\.host", r"net\.peer\.name")
_HTTP_PATH_KEYS: Final = (r"url\.template", r"http\.route", r"url\.path", r"http\.target")


def http_target_exprs() -> list[pl.Expr]:
    """The HTTP request's host and path from its attributes, in the order of preference above
    (read where a method is: the convention's HTTP method key marks the spans to read)."""
    def first(keys: tuple[str, ...]) -> pl.Expr:
        # A string value whole (a route template holds braces, which json_scalar stops at).
        held = where_contains("attributes", "method")
        return pl.coalesce([held.str.extract(rf'"{key}"\s*:\s*"([^"\\]+)"', 1) for key in keys])

    return [first(_HTTP_HOST_KEYS).alias("_http_host"),
            first(_HTTP_PATH_KEYS).str.replace(r"[?#].*$", "").alias("_http_path")]


def http_label() -> pl.Expr:
    """``{METHOD} {host}{path}`` for a span with an HTTP method and a host or a path, else null."""
    url = pl.col("_cv_http_url")
    host = pl.coalesce(url.str.extract(_URL_HOST_PATH, 1), pl.col("_http_host"))
    path = pl.coalesce(pl.when(url.str.extract(_URL_HOST_PATH, 2) != "").then(url.str.extract(_URL_HOST_PATH, 2)),
                       pl.col("_http_path"))
    target = pl.concat_str([host, path], ignore_nulls=True)
    return (pl.when(pl.col("_cv_http_method").is_not_null() & (target != ""))
            .then(pl.concat_str([pl.col("_cv_http_method").str.to_uppercase(), pl.lit(" "), target])))
