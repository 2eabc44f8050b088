"""A call repeated on a state that changed in between: waiting, or acting on what is new.

repeated_action counts the same tool called with the same arguments and the same result as a
loop: the repeats brought nothing new. Two kinds of call act on a state the arguments do not
name, so the same call is new work once that state has changed:

* a wait (a ``wait`` or ``sleep`` tool, browser-use's ``wait`` action) repeated between other
  calls is waiting for something to change, as a person polling would;
* a call repeated each time after the run sat idle (``polls.py``) is checking a state it waits on;
* a call with no arguments acts on whatever is in front of it: smolagents' vision browser's
  ``close_popups()`` presses Escape on the current page and says so, the same words each time
  (huggingface/smolagents src/smolagents/vision_web_browser.py: ``close_popups`` ->
  ``ActionChains(driver).send_keys(Keys.ESCAPE)``, "Pressed ESC key to close popups"; its
  navigation tools ``go_back``, a ``go_to_url``/``click`` tool in agents built on it), and an agent
  that closes the pop-ups after each page it opens does each time on a new page. ``go_back``,
  ``refresh`` or ``get_current_url`` are the same kind.

Either is a loop only where nothing else was called between the repeats: a wait, when no other
call came between its first and its last; a call with no arguments, when ``repeat_count`` of them
(two in a run that hit its step limit) follow one another with no other tool call between (ten
``close_popups()`` in a row is the agent stuck on one pop-up).
"""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.detectors.base import Context
from forensics.detectors.polls import POLL_WAIT, polled_repeats
from forensics.detectors.tool_calls import tool_calls

__all__ = ["POLL_WAIT", "no_arguments", "repeats_on_changed_state"]

#: A tool that only waits (browser-use's ``wait`` action, "Waited for N seconds"; the computer-use
#: tools' ``wait``; a ``sleep``; an app's ``wait_minutes``): its result is the wait itself, the same
#: every time by design. Named by its unit at most, never by what it waits on (``wait_for_job``).
WAIT_TOOL: Final = r"(?i)(?:^|[^a-z])(?:wait|sleep)(?:_?(?:for_?)?(?:seconds|secs|time|ms|minutes|mins|hours))?$"
#: Arguments that give nothing: none recorded, an empty object or list (a smolagents call with no
#: values is ``[]``), null or an empty string (the prepared ``args`` have no whitespace left).
NO_ARGUMENTS: Final = r'^(?:\{\}|\[\]|null|""|)$'


def no_arguments(call_args: pl.Expr) -> pl.Expr:
    return call_args.is_null() | call_args.str.contains(NO_ARGUMENTS)


def repeats_on_changed_state(ctx: Context, groups: pl.LazyFrame, repeat_count: int) -> pl.LazyFrame:
    """``_k`` of the repeat ``groups`` (``_k, run_key, call, ids, first_seq, last_seq, step_limit_hit``) that acted on a state that changed between them (see the module docs)."""
    calls = tool_calls(ctx).lazy().select("run_key", "span_id", "seq", "call", "call_args")
    waits = (
        groups.filter(pl.col("call").str.contains(WAIT_TOOL).fill_null(False))
        .select("_k", "run_key", "call", "first_seq", "last_seq")
        .join(calls.select("run_key", pl.col("seq").alias("o_seq"), pl.col("call").alias("o_call")), on="run_key")
        .filter(
            (pl.col("o_seq") > pl.col("first_seq")) & (pl.col("o_seq") < pl.col("last_seq")) & (pl.col("o_call") != pl.col("call"))
        )
        .select("_k")
    )
    # The calls with no arguments of the other groups, and the runs they are in.
    bare = (
        groups.filter(~pl.col("call").str.contains(WAIT_TOOL).fill_null(False))
        .select("_k", "run_key", "step_limit_hit", pl.col("ids").alias("span_id"))
        .explode("span_id")
        .join(calls.select("run_key", "span_id", "call_args"), on=["run_key", "span_id"])
        .filter(no_arguments(pl.col("call_args")))
        .select("_k", "run_key", "span_id", "step_limit_hit")
    )
    # The run's tool calls in order, each in a streak of the same call with no other call between.
    in_play = calls.join(bare.select("run_key").unique(), on="run_key", how="semi").sort("run_key", "seq")
    same = (pl.col("call") == pl.col("call").shift(1).over("run_key")) & pl.col("call_args").eq_missing(
        pl.col("call_args").shift(1).over("run_key")
    )
    streaks = (
        in_play.with_columns((~same.fill_null(False)).cum_sum().over("run_key").alias("_streak"))
        .with_columns(pl.len().over("run_key", "_streak").alias("_streak_len"))
        .select("run_key", "span_id", "_streak_len")
    )
    longest = (
        bare.join(streaks, on=["run_key", "span_id"])
        .group_by("_k")
        .agg(pl.col("_streak_len").max(), pl.col("step_limit_hit").first())
    )
    spread = longest.filter(
        pl.col("_streak_len") < pl.when(pl.col("step_limit_hit")).then(2).otherwise(repeat_count)
    ).select("_k")
    # A call repeated each time after the run sat idle is a poll of a state that changes (polls.py).
    return pl.concat([waits, spread, polled_repeats(ctx, groups)]).unique()
