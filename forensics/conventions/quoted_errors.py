"""An answer that is a caught exception's own text: the code returned the error as the result.

A framework or application that catches the exception of the call meant to produce the answer and
returns its text in the answer's place (``except Exception as e: return f"...: {e}"``) ends the run
normally with an answer no model wrote: smolagents' ``provide_final_answer``, asked for a closing
answer at ``max_steps``, returns ``ChatMessage(role=ASSISTANT, content=f"Error in generating final
LLM output: {e}")`` when the model call raises, and ``_handle_max_steps_reached`` hands that content
back as the run's final output (huggingface/smolagents ``src/smolagents/agents.py``). The run's
status says success; its answer is the failure, as data. A fault word in it is the exception's, not
anyone telling anyone: no model read the failure and wrote about it.

``runs.quoted_error_id`` names the failed span (not handed back to a model:
``error_handled`` false) whose own error text (``error_message`` with its leading exception type
names taken off, at least 24 characters of it) the run's final output holds, where no model call
succeeded after it: nothing but code can have put it there. A later model call that answered
(a model relaying the error in its own words, or quoting it) wrote that answer and is read as telling.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.conventions.registry import Convention, Signal, register

#: Leading exception type names the instrumentation writes ahead of the exception's text
#: ("RateLimitError: litellm.RateLimitError: ..."), taken off before the text is looked for in the
#: answer (``str(e)`` carries some of them, not necessarily all).
_TYPE_PREFIXES: Final = r"^(?:\s*[A-Za-z_][\w.]*(?:Error|Exception|Exceeded|Timeout)\s*:\s*)+"
#: How much of the exception's text the answer must hold, from its start: long enough that it is
#: that exception's message and not a common word.
QUOTED_CHARS: Final = 40
MIN_QUOTED_CHARS: Final = 24


def _runs(df: pl.DataFrame, runs: pl.DataFrame) -> pl.DataFrame:
    text = pl.col("error_message").str.replace(_TYPE_PREFIXES, "").str.strip_chars().str.slice(0, QUOTED_CHARS)
    failed = (
        df.lazy()
        .filter(pl.col("failed") & ~pl.col("error_handled") & ~pl.col("is_root") & pl.col("error_message").is_not_null())
        .select("run_key", "span_id", "seq", text.alias("_quoted"))
        # A quote inside the answer's JSON is escaped there: such a text is not looked for.
        .filter((pl.col("_quoted").str.len_chars() >= MIN_QUOTED_CHARS) & ~pl.col("_quoted").str.contains(r'["\\]'))
    )
    answered_after = (
        df.lazy()
        .filter((pl.col("kind") == "llm") & pl.col("succeeded"))
        .group_by("run_key")
        .agg(pl.col("seq").max().alias("_last_answer_seq"))
    )
    quoted = (
        failed.join(runs.lazy().select("run_key", "final_output").drop_nulls("final_output"), on="run_key")
        .join(answered_after, on="run_key", how="left")
        .filter(~(pl.col("_last_answer_seq") > pl.col("seq")).fill_null(False))
        .filter(pl.col("final_output").str.contains(pl.col("_quoted"), literal=True))
        .sort("run_key", "seq")
        .group_by("run_key")
        .agg(pl.col("span_id").first().alias("quoted_error_id"))
    )
    return runs.lazy().join(quoted, on="run_key", how="left").collect()


register(
    Convention(
        name="quoted_errors",
        signals=(
            Signal(
                "a final answer holding a failed call's own exception text, put there by the code that caught it "
                '(smolagents `provide_final_answer`: "Error in generating final LLM output: {e}" as the answer at max_steps), '
                "with no model call answering after the failure",
                "smolagents; any agent whose code returns a caught exception as its result",
                "huggingface/smolagents src/smolagents/agents.py (MultiStepAgent.provide_final_answer, _handle_max_steps_reached)",
                "runs.quoted_error_id (the answer is the failure as data, not a report of it)",
            ),
        ),
        runs=_runs,
        run_columns={
            "quoted_error_id": "a failed call (not handed back) whose own exception text the final answer holds, no model call answering after it: the code returned the error as the result",
        },
    )
)
