"""error_as_data and a lookup by one key answered by a lookup of the same thing by another key.

tau-bench's retail tools find a customer by email or by name and zip, one tool per key
(tau_bench/envs/retail/tools/find_user_id_by_email.py returns the text "Error: user not found" on a
miss; find_user_id_by_name_zip.py); the conventions layer names what such a tool looks up
(``lookup_of``, forensics/conventions/lookups.py)."""

from __future__ import annotations

import polars as pl
from span_builder import detectors, one, run, span, spans

from forensics.detectors.base import prepare
from forensics.policy import resolve_policy

ROOT = {"kind": "agent", "name": "retail_agent"}


def _lookup(sid: str, start: float, tool: str, args: str, output: str):
    return span(sid, start, start + 0.2, parent_id="root", kind="tool", tool=tool, input=args, output=output)


def _say(sid: str, start: float, text: str):
    return span(sid, start, start + 0.5, parent_id="root", kind="llm", model="gpt-4o", output=text)


BY_EMAIL = ("find_user_id_by_email", '{"email": "ana@example.com"}', "Error: user not found")


def test_lookup_of_names_what_a_keyed_read_tool_finds() -> None:
    ctx = prepare(pl.DataFrame(pl.from_arrow(spans(
        span("root", 0, 10, **ROOT),
        _lookup("a", 1, "find_user_id_by_email", "{}", "x"),
        _lookup("b", 2, "find_user_id_by_name_zip", "{}", "x"),
        _lookup("c", 3, "get_order_details", "{}", "x"),
        _lookup("d", 4, "update_user_by_id", "{}", "x"),
    ))), resolve_policy(None))  # fmt: skip
    got = dict(ctx.spans.select("span_id", "lookup_of").iter_rows())
    assert got["a"] == got["b"] == "find_user_id"
    assert got["c"] is None  # no key in the name
    assert got["d"] is None  # a write, not a read
    assert got["root"] is None


def test_error_as_data_fires_when_the_miss_is_read_as_an_answer() -> None:
    # The same miss, and no other lookup: the agent went on as if the user existed.
    c = run(
        span("root", 0, 10, **ROOT, output="Your exchange is requested."),
        _lookup("a1", 1, *BY_EMAIL),
        _say("m1", 2, "Thanks, I have your account. Which item?"),
        _lookup("a2", 3, "get_order_details", '{"order_id": "#W1"}', '{"status": "delivered"}'),
        _say("m2", 4, "Your exchange is requested."),
    )
    assert one(c, "error_as_data")["decisive_span_id"] == "a1"


def test_error_as_data_fires_when_the_other_lookup_missed_too() -> None:
    c = run(
        span("root", 0, 10, **ROOT, output="Your exchange is requested."),
        _lookup("a1", 1, *BY_EMAIL),
        _lookup("a2", 3, "find_user_id_by_name_zip", '{"first_name": "Ana", "zip": "78704"}', "Error: user not found"),
        _say("m2", 4, "Your exchange is requested."),
    )
    assert one(c, "error_as_data")["decisive_span_id"] == "a1"


def test_error_as_data_near_miss_the_user_found_by_another_key() -> None:
    # tau-bench's retail flow: email missed, the agent asked for name and zip and found the user.
    c = run(
        span("root", 0, 10, **ROOT, output="Your exchange is requested."),
        _lookup("a1", 1, *BY_EMAIL),
        _say("m1", 2, "Could you give me your first and last name and your zip code instead?"),
        _lookup("a2", 3, "find_user_id_by_name_zip", '{"first_name": "Ana", "zip": "78704"}', "ana_souza_3381"),
        _say("m2", 4, "Your exchange is requested."),
    )
    assert "error_as_data" not in detectors(c)
