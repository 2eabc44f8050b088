"""A model turn the provider paused: Anthropic's ``stop_reason: "pause_turn"``.

Anthropic's Messages API runs server tools (web search, web fetch, code execution) in a loop of its
own and may stop a long turn before it is finished with ``stop_reason: "pause_turn"``
(anthropics/anthropic-sdk-python ``src/anthropic/types/stop_reason.py``). The turn is not over: the
client is to send the paused response back as it is, and the model goes on from there; the
response "carries no client tool calls, so the agent loop would end the run on the unfinished turn"
(langchain-anthropic ``middleware/pause_turn``, ``AnthropicPauseTurnMiddleware``, which sends it
back). The reason is written where every finish reason is: ``gen_ai.response.finish_reasons`` (the
OTel GenAI conventions, opentelemetry-instrumentation-anthropic), an output message's
``finish_reason``, the message's own ``stop_reason`` (Claude Code's transcript, LangChain's
``response_metadata``). The call did not fail: ``paused_turn`` marks it, and what came after it
(a model call that resumed the turn, or none) is the detectors' to read
(``forensics/detectors/paused_turns.py``).
"""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.conventions.registry import Convention, Q, Signal, on_rows, published, register

#: A finish reason of ``pause_turn`` under the keys finish reasons are written at (a value or a list).
PAUSED_FINISH: Final = (
    rf"(?i)(?:^|[^\\])\"(?:gen_ai\.response\.finish_reasons?|finish_reasons?|stop_reason|stopReason"
    rf"|llm\.finish_reason|gen_ai\.completion\.\d+\.finish_reason){Q}\s*:\s*\[?\s*(?:{Q}[a-z_]*{Q}\s*,\s*)*{Q}pause_turn{Q}"
)


def _extract() -> list[pl.Expr]:
    def paused(col: str) -> pl.Expr:
        return on_rows(
            pl.col("kind") == "llm",
            pl.col(col),
            # The regex reads only the texts holding the literal (the others blanked: `&` evaluates
            # both sides, and a when/then null still hands the regex its text).
            lambda e: pl.when(e.str.contains("pause_turn", literal=True))
            .then(e)
            .otherwise(pl.lit(""))
            .str.contains(PAUSED_FINISH),
        ).fill_null(False)

    return [(paused("attributes") | paused("output")).alias("_cv_paused_turn")]


register(
    Convention(
        name="paused_turns",
        signals=(
            Signal(
                "stop_reason pause_turn: gen_ai.response.finish_reasons ['pause_turn'], an output message's "
                "finish_reason, the message's stop_reason",
                "Anthropic Messages API (server tools: web_search, web_fetch, code execution)",
                "anthropics/anthropic-sdk-python src/anthropic/types/stop_reason.py; langchain-anthropic "
                "middleware/pause_turn (AnthropicPauseTurnMiddleware: the paused response sent back to resume the turn)",
                "paused_turn (the turn is not finished until a later model call resumes it)",
            ),
        ),
        extract=_extract,
        status=published("_cv_paused_turn", "paused_turn", flag=True),
        columns={
            "paused_turn": "a model call the provider paused mid-turn (stop_reason pause_turn): not finished"
        },
    )
)
