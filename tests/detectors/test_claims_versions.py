"""A version said in a claim is the call's version however it is spelled: with or without its
``v``, with or without trailing zero parts; another version is another object.

A release tool is given the tag as GitHub names releases (``tag_name`` "v2.14.0": REST "Create a
release"; semver.org FAQ: a "v" prefix is a common way to mark a version) or a short version
("2.14": PEP 440 pads release segments with zeros when comparing, 2.14 == 2.14.0). The agent
reports "I've released 2.14.0". Every call of the tool failed, so the claim is contradicted by
the failed call (claim_failed: the claim's object is what the failed call was given). Near misses:
another version ("2.14.1", "2.1", "12.14.0") is not this call's object; the call went through.
"""

from __future__ import annotations

import json

import pytest
from span_builder import detectors, one, run, span


def _release(version: str, ok: bool, answer: str):
    failed = (
        {} if ok else {"status": "error", "error_message": "HTTP 422: tag already exists on another commit"}
    )
    return run(
        span("root", 0, 10, kind="agent", name="release-bot"),
        span(
            "u", 0.2, 0.2, parent_id="root", kind="human", output="Cut the next release of the billing SDK."
        ),
        span(
            "d",
            1,
            2,
            parent_id="root",
            kind="tool",
            tool="release_version",
            input=json.dumps({"tag_name": version, "target_commitish": "main"}),
            output="release 9120 created" if ok else None,
            **failed,
        ),  # fmt: skip
        span("fin", 4, 5, parent_id="root", kind="llm", output=answer),
    )


@pytest.mark.parametrize(("given", "said"), [("v2.14.0", "2.14.0"), ("2.14", "2.14.0"), ("v2.14.0", "v2.14"),
                                             ("2.14.0", "V2.14.0")])  # fmt: skip
def test_the_same_version_in_another_spelling_is_the_failed_call_s_object(given: str, said: str) -> None:
    f = one(
        _release(given, False, f"I've released {said}. Release notes are in the changelog."),
        "claimed_but_not_done",
    )
    assert f["decisive_span_id"] == "d"


@pytest.mark.parametrize(("given", "said"), [("v2.14.0", "2.14.1"), ("v2.14.0", "2.1"), ("v2.14.0", "12.14.0"),
                                             ("v2.14.0", "2.14.0.1"), ("2.14", "2.14.1")])  # fmt: skip
def test_near_miss_another_version_is_another_object(given: str, said: str) -> None:
    """ "2.14.1" is not "2.14" followed by a full stop."""
    assert "claimed_but_not_done" not in detectors(_release(given, False, f"I've released {said} last week."))


def test_near_miss_the_release_went_through() -> None:
    assert "claimed_but_not_done" not in detectors(_release("v2.14.0", True, "I've released 2.14.0."))
