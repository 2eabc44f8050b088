"""A span that another service entered through a remote call is that service's, not the caller's
agent's, for finalisation (forensics/finalize.py).

An agent's trace crosses services: its tool publishes to a queue another worker consumes, calls an
HTTP or gRPC server, sends an A2A ``message/send`` to another agent's server. The callee continues
the trace from the propagated context (W3C ``traceparent``), so its first span is a child of the
caller's client or producer span, with a kind saying it was entered from outside: ``SERVER`` for a
request received, ``CONSUMER`` for a message processed (opentelemetry-specification
``specification/trace/api.md`` SpanKind; semantic-conventions ``docs/messaging/messaging-spans.md``:
the consumer's "process" span is parented to, or linked from, the producer's "send" span), and the
resource of the process that recorded it (``service.name``, ``specification/resource/semantic_conventions``).
Inheritance through the parent chain would hand the callee's spans to the calling agent: the
billing worker's ``billing-agent-tasks process`` span owned by the triage agent that published the
task. Here, before inheritance, such an entry span with no agent of its own, whose service differs
from its parent's, is owned by its own service: what runs under it inherits that, unless an agent
span of the callee names itself (its ``invoke_agent billing_specialist``), as before.

The loaders keep a span's OTel kind and resource in its attributes (``@span_kind``, ``@resource``:
forensics/loaders/otlp_json.py, otel_sdk_json.py, otel_clickhouse.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .arrow_rows import arrow_mask, gather, mask, patch

#: The span kinds of a span entered from another process (opentelemetry-specification SpanKind).
ENTRY_KINDS: Final = ("SERVER", "CONSUMER")
_ENTRY: Final = tuple(f'"@span_kind":"{k}"' for k in ENTRY_KINDS)
#: ``service.name`` in the ``@resource`` object the loaders write: resource attributes by key (OTLP), or
#: under ``attributes`` as the Python SDK's ``Resource.to_json`` nests them (``{"attributes": {...},
#: "schema_url": ""}``).
_SERVICE: Final = r'"@resource":\{(?:"attributes":\{)?[^{}]*?"service\.name":"(?P<service>(?:[^"\\]|\\.)*)"'


def _services(attributes: pa.ChunkedArray | pa.Array, rows: np.ndarray) -> pa.Array:
    """``service.name`` of each of ``rows`` (null where the row's resource names none)."""
    taken = gather(attributes, rows).cast(pa.string())
    return pc.struct_field(pc.extract_regex(taken, _SERVICE), [0])


def service_entry_owners(spans: pa.Table, agent: pa.ChunkedArray | pa.Array,
                         parent_rows: Callable[[], np.ndarray]) -> pa.ChunkedArray | pa.Array:
    """``agent`` with each entry span of another service (see the module) owned by its service.
    ``parent_rows``: gives each row's parent row, ``-1`` for none (called only when a row can be one)."""
    attributes = spans.column("attributes")
    entry = np.zeros(spans.num_rows, dtype=bool)
    for needle in _ENTRY:
        entry |= mask(pc.match_substring(attributes, needle))
    entry &= ~mask(pc.is_valid(agent))
    if not entry.any():
        return agent
    parent_row = parent_rows()
    entry &= parent_row >= 0
    if not entry.any():
        return agent
    rows = np.flatnonzero(entry)
    own = _services(attributes, rows)
    theirs = _services(attributes, parent_row[rows])
    crossed = mask(pc.and_(pc.and_(pc.is_valid(own), pc.is_valid(theirs)), pc.not_equal(own, theirs)))
    if not crossed.any():
        return agent
    owned, names = rows[crossed], own.filter(arrow_mask(crossed))
    return patch(agent, owned, lambda lo, hi: names.slice(lo, hi - lo))
