"""A code executor's turn that found no code to run: no attempt of anything.

AG2's group chats built by AgentBuilder give the code-executing proxy (``Computer_terminal``) a
default auto-reply for a message holding no code block: ``DEFAULT_PROXY_AUTO_REPLY`` "There is no
code from the last 1 message for me to execute. Group chat manager should let other participants
to continue the conversation..." (autogen ``agentchat/contrib/agent_builder.py``; the proxy's code
execution reply finds no block, ``ConversableAgent._generate_code_execution_reply_using_executor``,
and the default auto-reply answers). The AG2 history loader keeps such a turn as the terminal's
tool span with no input and marks it ``terminal.no_code`` (``forensics/loaders/ag2_history.py``).

It ran nothing, so it is no attempt of the code that failed before it: a Verification_Expert that
answers an ``exitcode: 1`` with a query in words, and the terminal's "no code" reply to it, did not
run the backfill again. ``ran_nothing`` keeps such turns out of the retries and fallbacks that
make a failure good (``facts.failure_followups``).

Magentic-One's Executor, asked to confirm each block (``confirm_execution``), answers a declined one
"The code block was not confirmed by the user and so was not run." (autogen-magentic-one
``agents/coder.py`` ``Executor._generate_reply``): it found the code and ran none of it; the loader
marks it ``terminal.declined``, read the same way.
"""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.conventions.registry import Convention, Signal, published, register

#: The loader's mark, as the attributes JSON holds it.
NO_CODE: Final = r'"terminal\.(?:no_code|declined)"\s*:\s*true'


def _extract() -> list[pl.Expr]:
    attrs = pl.col("attributes")
    hint = (
        attrs.str.contains("terminal.no_code", literal=True) | attrs.str.contains("terminal.declined", literal=True)
    ).fill_null(False)
    return [((pl.col("kind") == "tool") & hint & attrs.str.contains(NO_CODE).fill_null(False)).alias("_cv_ran_nothing")]


register(
    Convention(
        name="ran_nothing",
        signals=(
            Signal(
                "a Computer_terminal turn answering with the proxy's default auto-reply \"There is no code from the "
                "last 1 message for me to execute...\" (the loader's terminal.no_code)",
                "AG2 / autogen 0.2 group chats (AgentBuilder)",
                "autogen agentchat/contrib/agent_builder.py (AgentBuilder.DEFAULT_PROXY_AUTO_REPLY); "
                "forensics/loaders/ag2_history.py (terminal.no_code)",
                "ran_nothing (no retry or fallback of an earlier failure: facts.failure_followups)",
            ),
            Signal(
                "a ComputerTerminal turn answering \"The code block was not confirmed by the user and so was not "
                "run.\" (the loader's terminal.declined)",
                "autogen-magentic-one (Executor with confirm_execution)",
                "microsoft/autogen python/packages/autogen-magentic-one/src/autogen_magentic_one/agents/coder.py "
                "(Executor._generate_reply); forensics/loaders/ag2_history.py (terminal.declined)",
                "ran_nothing (the declined code did not run: no retry or fallback, no failure)",
            ),
        ),
        extract=_extract,
        status=published("_cv_ran_nothing", "ran_nothing", flag=True),
        columns={"ran_nothing": "a code executor's turn that found no code to run (AG2's \"There is no code ...\")"},
    )
)
