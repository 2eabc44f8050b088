"""ascii_regex: a pattern's ASCII form, and the claim tests read with it on ASCII texts only."""

from __future__ import annotations

import polars as pl

from forensics.detectors.ascii_regex import ascii_form, with_contains


def test_perl_classes_outside_character_classes_are_made_ascii() -> None:
    assert ascii_form(r"(?i)\bsent\s+\w+\d") == r"(?i)(?-u:\b)sent(?-u:\s)+(?-u:\w)+(?-u:\d)"


def test_classes_escapes_and_braced_assertions_are_left_alone() -> None:
    # Inside a class (\b there is a backspace), after an escaped backslash, a leading ']' in a
    # class, a nested POSIX class, a repeat count and a \b{start} assertion.
    pattern = r"[\w-]\\w[]\s][^]\d][[:alpha:]\w]\d{3}\b{start}\W\B"
    assert ascii_form(pattern) == pattern


def test_ascii_texts_match_as_with_the_pattern_itself() -> None:
    claim = r"(?i)\b(posted|shared)\b(?:[^.\n]|\.\w){0,60}?\s(?:to|in|on)\s+#[a-z][\w-]*"
    texts = [
        "The brief is posted in #research.",  # matches
        "Posted the digest to #revops-weekly",  # matches, any case
        "I posted it. Then in #ops",  # a sentence end before the channel: no match
        "reposted in #ops",  # 'posted' not at a word start: no match
        None,
    ]
    out = with_contains(pl.LazyFrame({"t": texts}), "t", {"said": claim}).collect()
    assert out.get_column("said").to_list() == [True, True, False, False, None]


def test_non_ascii_texts_keep_unicode_classes() -> None:
    # 'é' is a word character in Unicode, not in ASCII: a text holding it is read with the pattern
    # as written, so the whole word matches; an ASCII text beside it still goes the fast way.
    out = with_contains(pl.LazyFrame({"t": ["élan", "elan", "é!"]}), "t", {"word": r"^\w+$"}).collect()
    assert out.get_column("word").to_list() == [True, True, False]
    assert out.get_column("t").to_list() == ["élan", "elan", "é!"]  # rows in their order
