"""Calls refused before they could work: an open circuit breaker, a certificate that fails verification.

Two failures say at once that sending the same request again now will fail the same way:

* **an open circuit breaker** rejects the call without sending it, until its reset timeout has
  passed: pybreaker raises ``CircuitBreakerError`` ("Failures threshold reached, circuit breaker
  opened", then "Timeout not elapsed yet, circuit breaker still open": danielfm/pybreaker
  ``src/pybreaker/__init__.py``); resilience4j throws ``CallNotPermittedException``
  ("CircuitBreaker 'name' is OPEN and does not permit further calls": resilience4j/resilience4j
  ``resilience4j-circuitbreaker/src/main/java/io/github/resilience4j/circuitbreaker/
  CallNotPermittedException.java``); Polly throws ``BrokenCircuitException`` ("The circuit is now
  open and is not allowing calls.": App-vNext/Polly ``src/Polly/CircuitBreaker/
  BrokenCircuitException.cs``);
* **a certificate that fails verification** (expired, or not signed by a trusted root) fails every
  handshake until someone replaces it: Python's ``ssl.SSLCertVerificationError``
  ("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: certificate has expired"),
  wrapped by requests as ``requests.exceptions.SSLError``; Node's ``CERT_HAS_EXPIRED``; Go's
  ``x509: certificate has expired or is not yet valid``.

``refused_now`` marks such a failed span. retry_storm reads it: a model that sends the identical
call again and again into such a refusal is hammering a door it was told is shut.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.conventions.registry import Convention, Signal, on_rows, register

#: The breaker's own exception names and words, and the certificate failures' (see the module docs).
REFUSED_NOW: Final = (
    r"(?i)CircuitBreakerError|CallNotPermittedException|BrokenCircuitException|CircuitBreakerOpen"
    r"|\bcircuit(?:\s+breaker)?\s+(?:'[^']*'\s+|\"[^\"]*\"\s+)?(?:is\s+(?:now\s+)?|still\s+)?open\b"
    r"|CERTIFICATE_VERIFY_FAILED|SSLCertVerificationError|CERT_HAS_EXPIRED|certificate\s+has\s+expired"
    r"|x509:\s+certificate"
)


def _extract() -> list[pl.Expr]:
    said = pl.concat_str(["error_type", "error_message"], separator=" ", ignore_nulls=True)
    has_error = pl.col("error_type").is_not_null() | pl.col("error_message").is_not_null()
    return [on_rows(has_error, said, lambda e: e.str.contains(REFUSED_NOW)).fill_null(False).alias("_cv_refused_now")]


def _status(df: pl.DataFrame) -> pl.DataFrame:
    return df.with_columns((pl.col("_cv_refused_now") & pl.col("failed")).alias("refused_now"))


register(
    Convention(
        name="refusals",
        signals=(
            Signal(
                "an open circuit breaker's rejection: pybreaker `CircuitBreakerError` (\"Timeout not elapsed yet, "
                "circuit breaker still open\"), resilience4j `CallNotPermittedException` (\"CircuitBreaker 'x' is OPEN "
                "and does not permit further calls\"), Polly `BrokenCircuitException`",
                "pybreaker; resilience4j; Polly",
                "danielfm/pybreaker src/pybreaker/__init__.py; resilience4j-circuitbreaker/.../CallNotPermittedException.java; "
                "App-vNext/Polly src/Polly/CircuitBreaker/BrokenCircuitException.cs",
                "refused_now (retry_storm: the same call sent again and again into it by the model is a storm)",
            ),
            Signal(
                "a certificate that fails verification: `SSLCertVerificationError` / `CERTIFICATE_VERIFY_FAILED` "
                "(requests' `SSLError`), Node `CERT_HAS_EXPIRED`, Go `x509: certificate has expired`",
                "Python ssl / requests; Node.js tls; Go crypto/x509",
                "cpython Modules/_ssl.c (SSLCertVerificationError); requests/adapters.py (SSLError)",
                "refused_now",
            ),
        ),
        extract=_extract,
        status=_status,
        columns={"refused_now": "the failed call was refused by an open circuit breaker or a certificate that fails verification"},
    )
)
