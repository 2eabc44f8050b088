"""What gates a low-confidence step: a person's review, or a guardrail that was given the confidence."""

from __future__ import annotations

import polars as pl

#: Words of a guardrail input that carries the step's certainty (a confidence, a score, a probability).
_CERTAINTY = r"(?i)confiden|score|probab|certaint"


def blind_guardrail() -> pl.Expr:
    """A guardrail span whose recorded input holds no confidence, score or probability: it checked
    something else (the amount, the wording), so it cannot have gated the step's low confidence.
    TAXONOMY's ungated_low_confidence asks for a human review between the step and the action; a
    guardrail stands in for one only where it judged the certainty. A guardrail with no recorded input
    is given the benefit of the doubt."""
    text = pl.col("args")
    return (pl.col("kind") == "guardrail") & text.is_not_null() & ~text.str.contains(_CERTAINTY).fill_null(False)
