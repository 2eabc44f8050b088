"""Calls refused before they could work (conventions.refusals): an open breaker, a failed certificate.

The texts are the libraries' own: pybreaker's ``CircuitBreakerError`` messages (danielfm/pybreaker
``src/pybreaker/__init__.py``: "Failures threshold reached, circuit breaker opened", "Timeout not
elapsed yet, circuit breaker still open"), resilience4j's ``CallNotPermittedException``
("CircuitBreaker 'backendA' is OPEN and does not permit further calls": resilience4j
``CallNotPermittedException.java``), Polly's ``BrokenCircuitException`` ("The circuit is now open and
is not allowing calls."), Python's ``ssl.SSLCertVerificationError`` as requests wraps it, Node's
``CERT_HAS_EXPIRED`` and Go's ``x509`` error.
"""

from __future__ import annotations

import polars as pl
from span_builder import span, spans

from forensics.detectors.base import prepare
from forensics.policy import resolve_policy

REFUSED = [
    ("pybreaker.CircuitBreakerError", "Timeout not elapsed yet, circuit breaker still open"),
    ("CircuitBreakerError", "Failures threshold reached, circuit breaker opened"),
    ("io.github.resilience4j.circuitbreaker.CallNotPermittedException",
     "CircuitBreaker 'backendA' is OPEN and does not permit further calls"),
    ("Polly.CircuitBreaker.BrokenCircuitException", "The circuit is now open and is not allowing calls."),
    ("requests.exceptions.SSLError", "Caused by SSLError(SSLCertVerificationError(1, '[SSL: CERTIFICATE_VERIFY_FAILED]"),
    ("Error", "certificate has expired (code CERT_HAS_EXPIRED)"),
    ("url.Error", "tls: failed to verify certificate: x509: certificate has expired or is not yet valid"),
]
NOT_REFUSED = [
    ("requests.exceptions.HTTPError", "503 Server Error: Service Unavailable"),
    ("OSError", "[Errno 24] Too many open files"),
    ("ValueError", "the circuit diagram is open to interpretation"),
    ("ConnectError", "getaddrinfo ENOTFOUND api.example.com"),
]


def _refused(pairs: list[tuple[str, str]], status: str = "error") -> list[bool]:
    rows = [span("root", 0, 10, kind="chain", name="run")]
    rows += [span(f"t{i}", 1 + i, 1.5 + i, parent_id="root", kind="tool", tool="fetch", status=status,
                  error_type=et, error_message=em) for i, (et, em) in enumerate(pairs)]
    ctx = prepare(pl.DataFrame(pl.from_arrow(spans(*rows))), resolve_policy(None))
    return ctx.spans.filter(pl.col("kind") == "tool").sort("seq").get_column("refused_now").to_list()


def test_breaker_and_certificate_refusals_are_marked() -> None:
    assert _refused(REFUSED) == [True] * len(REFUSED)


def test_other_errors_and_spans_that_did_not_fail_are_not() -> None:
    assert _refused(NOT_REFUSED) == [False] * len(NOT_REFUSED)
    # A span that did not fail is no refusal, whatever text it carries.
    assert _refused(REFUSED[:1], status="ok") == [False]
