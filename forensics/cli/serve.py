"""``forensics serve``: an OTLP/HTTP receiver appending what it receives to a dataset."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from forensics.cli.app import (
    EXIT_OK,
    NoRedactOption,
    RedactPolicyOption,
    _exit,
    _parse_size,
    _refuse_policy_without_redaction,
    app,
)
from forensics.errors import InputError


@app.command()
def serve(
    dataset: Annotated[Path, typer.Option("--dataset", help="Append what is received to this partitioned Parquet dataset (created if new), one atomic commit per request; redacted unless --no-redact.")],
    otlp: Annotated[bool, typer.Option("--otlp", help="Receive OpenTelemetry traces over OTLP/HTTP (POST /v1/traces, protobuf or JSON, gzip); the one protocol served so far.")] = False,
    host: Annotated[str, typer.Option("--host", help="Address to listen on; 0.0.0.0 accepts other machines.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=0, max=65535, help="Port (OTLP/HTTP's is 4318; 0 picks a free one, printed at start).")] = 4318,
    max_request_size: Annotated[str, typer.Option("--max-request-size", help="Largest request body, as sent and as inflated; larger ones get 413.")] = "20MiB",
    queue: Annotated[int, typer.Option("--queue", min=1, help="Requests waiting for the disk writer before the receiver answers 503 with Retry-After.")] = 16,
    no_redact: NoRedactOption = False,
    redact_policy: RedactPolicyOption = None,
) -> None:
    """Receive agent traces where the instrumentation already sends them and append them to a
    dataset: point OTEL_EXPORTER_OTLP_ENDPOINT at http://HOST:PORT. A request is answered 200
    only once it is committed. Stops on Ctrl-C or SIGTERM after committing what is queued."""
    from forensics.receiver import serve as serve_otlp
    from forensics.redact import resolve_redaction_policy

    if not otlp:
        raise InputError("say what to serve", hint="pass --otlp (an OTLP/HTTP trace receiver).")
    _refuse_policy_without_redaction(no_redact, redact_policy)
    serve_otlp(dataset, host=host, port=port, max_request_bytes=_parse_size(max_request_size, "--max-request-size"),
               queue_size=queue, redact=not no_redact,
               redaction_policy=None if no_redact else resolve_redaction_policy(redact_policy))
    _exit(EXIT_OK)
