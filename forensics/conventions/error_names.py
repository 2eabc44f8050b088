"""The identifiers an error message names: what a model handed the error could act on.

An error handed back to the model (a tool's exception as the call's result, a CodeAgent's printed
``except`` output) often names the object it ran into: a 409 "receipts r-1..r-5 already belong to report
ER-55102", Stripe's "No such customer: 'cus_9s6XKzkNRiz8i3'", a 404 for "order A-77812". A later call of
the run whose arguments carry that identifier was made with what the error said: the model read it
(``forensics/detectors/ignored_errors.py`` ``acted_on_error``). Only identifiers: 5 to 64 letters,
digits, ``_`` and ``-`` holding both a letter and a digit (not a count, a status code or a word).
"""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.conventions.registry import Convention, Signal, on_rows, published, register

#: An identifier in free text: letters, digits, ``_`` and ``-``, 5 to 64 characters, ends alphanumeric.
ERROR_NAMES: Final = r"\b[A-Za-z0-9][A-Za-z0-9_-]{3,62}[A-Za-z0-9]\b"


def _extract() -> list[pl.Expr]:
    msg = pl.col("error_message")

    def names(e: pl.Expr) -> pl.Expr:
        found = e.str.extract_all(ERROR_NAMES)
        return found.list.eval(
            pl.element().filter(pl.element().str.contains(r"[A-Za-z]") & pl.element().str.contains(r"\d"))
        ).list.unique()

    return [on_rows(msg.is_not_null(), msg, names).alias("_cv_error_names")]


register(
    Convention(
        name="error_names",
        signals=(
            Signal(
                "an identifier in an error's message (letters and digits, 5-64 characters: ER-55102, cus_9s6XKzkNRiz8i3)",
                "any (the exception text an instrumentation records: OTel exception.message, a status description)",
                "open-telemetry/semantic-conventions docs/exceptions/exceptions-spans.md (exception.message); "
                "huggingface/smolagents src/smolagents/agents.py (CodeAgent._step_stream: printed logs as the observation)",
                "error_names (what a later call acting on the error would carry: ignored_errors.acted_on_error)",
            ),
        ),
        extract=_extract,
        status=published("_cv_error_names", "error_names"),
        columns={"error_names": "the identifiers (letters and digits, 5-64 characters) the span's error message names, else null"},
    )
)
