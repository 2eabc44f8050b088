"""duplicate_side_effect and idempotent HTTP methods: a tool call whose requests were all PUT,
DELETE or safe methods set the same state when made again (RFC 9110 section 9.2.2, "Idempotent
Methods"); a POST made twice creates twice."""

from __future__ import annotations

from span_builder import detectors, findings, run, span

_ARGS = '{"ticket": 7, "status": "closed"}'


def _twice(method: str, *, read_first: bool = False):
    """An agent that updates ticket 7 to closed, reads the ticket list, then makes the same update
    again; each update's HTTP client span (``method``) sits under its tool span."""
    rows = [span("root", 0, 20, kind="agent", name="support", output="Ticket 7 is closed.")]
    for i, start in enumerate((1, 8)):
        rows.append(span(f"u{i}", start, start + 2, parent_id="root", kind="tool", tool="update_ticket",
                         input=_ARGS, output='{"ticket": 7, "status": "closed"}'))  # fmt: skip
        if read_first:
            rows.append(span(f"g{i}", start + 0.2, start + 0.4, parent_id=f"u{i}", kind="unknown", name="GET",
                             attributes='{"http.request.method": "GET", "url.full": "https://desk.example/api/tickets/7"}'))  # fmt: skip
        rows.append(span(f"h{i}", start + 0.5, start + 1.5, parent_id=f"u{i}", kind="unknown", name=method,
                         attributes=f'{{"http.request.method": "{method}", "url.full": "https://desk.example/api/tickets/7"}}'))  # fmt: skip
        rows.append(span(f"l{i}", start + 3, start + 4, parent_id="root", kind="llm", model="gpt-4o", output="next"))
    return run(*rows)


def test_duplicate_side_effect_near_miss_the_same_put_twice_set_the_same_state() -> None:
    assert "duplicate_side_effect" not in detectors(_twice("PUT"))
    # A read before the write does not change that: every request idempotent, one of them a PUT.
    assert "duplicate_side_effect" not in detectors(_twice("PUT", read_first=True))


def test_duplicate_side_effect_fires_when_the_repeat_posted_again() -> None:
    (f,) = findings(_twice("POST"), "duplicate_side_effect")
    assert f["decisive_span_id"] == "u1"
    assert "side-effecting tool update_ticket succeeded at 02:13:01 and again with the same arguments at 02:13:08" in f["explanation"]
