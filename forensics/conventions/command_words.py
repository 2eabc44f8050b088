"""The commands a shell command line runs, read as the shell reads them: words, not characters.

The prepared table keeps a tool call's arguments without whitespace (``args``), which loses where
one word ends; a command named through a path or after words that only set up how it runs was
then not read as that command. A coding agent's shell tool (Claude Code ``Bash``, input
``{"command", "description"}``; OpenHands ``execute_bash``, CmdRunAction args ``{"command",
"is_input"}``) runs the command line as ``bash -c`` would, and these run ``git push``:

* ``/usr/bin/git push``: the command word is a path (POSIX Shell Command Language 2.9.1.1
  "Command Search and Execution": a command name holding a slash is run as that file);
* ``GIT_SSH_COMMAND="ssh -i ~/.ssh/deploy" git push``: words of the form ``NAME=value`` before the
  command name are variable assignments for that command (2.9.1 "Simple Commands");
* ``env X=1 git push``, ``env -u GIT_DIR git push``: env(1) runs its command in a modified
  environment (GNU coreutils: ``-u NAME``/``--unset``, ``-C DIR``/``--chdir``, ``-i``, ``-0``, then
  ``NAME=VALUE`` words);
* ``sudo -u deploy git push``: sudo(8) runs its command as another user (options taking an
  argument: ``-u user``, ``-g group``, ``-C num``, ``-D dir``, ``-h host``, ``-p prompt``, ``-r
  role``, ``-t type``, ``-T timeout``, ``-U user``, ``-R dir``; ``--`` ends them); ``doas -u user``
  alike (doas(1));
* ``nohup``, ``time [-p]``, ``nice [-n N]``, ``timeout [opts] DURATION``, ``command``, ``exec``,
  ``stdbuf -oL``: they run the command that follows.

Read with :mod:`shlex`'s POSIX rules (quotes, escapes; ``&&``, ``||``, ``;``, ``|`` and line breaks
end a command), one parse per distinct command line. The convention keeps, for the shell tool
calls whose command line names a program an act is read from (``git``, ``gh``, ``glab``, ``hub``:
claim_acts), the commands in the whitespace-free form ``args`` has (``command_flat``), read before
``prepare`` drops the raw input.
"""

from __future__ import annotations

import os
import re
import shlex
from typing import Final

import polars as pl

from forensics.conventions.registry import Convention, Signal, on_rows, register

#: A variable assignment word before the command name (POSIX 2.9.1): NAME=value.
_ASSIGNMENT: Final = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
#: Words that end one command of a line (shlex's punctuation tokens).
_SEPARATORS: Final = frozenset({"&&", "||", ";", "|", "&", ";;", "|&"})
#: Commands that run the command after them, with the options of theirs that take an argument
#: (the next word is that argument, not the command): sudo(8), doas(1), env(1), nice(1),
#: timeout(1), stdbuf(1), time (bash keyword / time(1)), nohup(1), command and exec (builtins).
_WRAPPERS: Final[dict[str, frozenset[str]]] = {
    "sudo": frozenset({"-u", "-g", "-C", "-D", "-h", "-p", "-r", "-t", "-T", "-U", "-R"}),
    "doas": frozenset({"-u", "-C"}),
    "env": frozenset({"-u", "-C", "-S"}),
    "nice": frozenset({"-n"}),
    "timeout": frozenset({"-s", "-k"}),
    "stdbuf": frozenset({"-i", "-o", "-e"}),
    "time": frozenset({"-f", "-o"}),
    "nohup": frozenset(),
    "command": frozenset(),
    "exec": frozenset({"-a"}),
}
#: timeout(1)'s first operand is the duration, not the command.
_OPERAND_FIRST: Final = frozenset({"timeout"})
#: What a word loses in the flat form: whitespace, and the separators and quotes that would read
#: as a command's end or the argument's there.
_IN_WORD: Final = re.compile(r"[\s;&|\"'\\]")


def _words(line: str) -> list[str]:
    """The shell words and separators of ``line`` (shlex, POSIX rules); a line shlex cannot read
    (an unclosed quote) is split at whitespace."""
    lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    lexer.commenters = ""
    try:
        return list(lexer)
    except ValueError:
        return line.split()


def _unwrapped(words: list[str]) -> list[str]:
    """One command's words from its command name on: assignments and wrappers before it removed,
    the command name without its directory."""
    i = 0
    while i < len(words):
        word = words[i]
        if _ASSIGNMENT.match(word):
            i += 1
            continue
        name = os.path.basename(word)
        takes = _WRAPPERS.get(name)
        if takes is None:
            return [name, *words[i + 1 :]]
        i += 1
        operand_pending = name in _OPERAND_FIRST
        while i < len(words) and words[i].startswith("-") and words[i] != "-":
            option = words[i]
            i += 1
            if option == "--":
                break
            if option in takes and i < len(words):
                i += 1
        if operand_pending and i < len(words):
            i += 1
    return []


def commands(line: str) -> list[list[str]]:
    """The commands ``line`` runs, each as its words from the command name on (``sudo -u deploy
    /usr/bin/git push origin main`` -> ``[["git", "push", "origin", "main"]]``)."""
    out: list[list[str]] = []
    for physical in line.splitlines():
        current: list[str] = []
        for word in [*_words(physical), ";"]:
            if word in _SEPARATORS or (word and set(word) <= set("&|;")):
                if (cmd := _unwrapped(current)) and cmd[0]:
                    out.append(cmd)
                current = []
            else:
                current.append(word)
    return out


def flat_commands(line: str) -> str:
    """The commands of ``line`` in the form the prepared ``args`` keeps a command line, whitespace
    removed and each command after ``&&``: ``"command":"gitpushoriginmain&&ghprcreate"``, so
    patterns written for that form read a command named through a path or a wrapper too. A
    separator or quote inside a word (``git commit -m "wip; git push later"``) is dropped: it
    ends no command there."""
    return (
        '"command":"' + "&&".join("".join(_IN_WORD.sub("", w) for w in cmd) for cmd in commands(line)) + '"'
    )


#: A tool input holding a command line (under ``command`` / ``cmd``) that names, at a word's start
#: (after a space, a slash, a quote or an ``=``), a program whose acts claim_acts reads.
_NAMES_PROGRAM: Final = r"""(?:^|[\s/"'=])(?:git|gh|glab|hub)\s"""


def _extract() -> list[pl.Expr]:
    line = on_rows(
        pl.col("kind") == "tool",
        pl.col("input"),
        lambda e: pl.when(e.str.contains('"(?:command|cmd)"') & e.str.contains(_NAMES_PROGRAM)).then(e),
    )
    return [line.alias("_cv_shell_input")]


def _status(df: pl.DataFrame) -> pl.DataFrame:
    from forensics.detectors.shell_commands import command_line

    held = df.get_column("_cv_shell_input").drop_nulls().unique()
    flat = [
        flat_commands(line) if (line := command_line(text)) is not None else None for text in held.to_list()
    ]
    return df.with_columns(
        pl.col("_cv_shell_input")
        .replace_strict(held, pl.Series(flat, dtype=pl.String), default=None)
        .alias("command_flat")
    )


register(
    Convention(
        name="command_words",
        signals=(
            Signal(
                'a shell tool\'s command line ({"command": ...}) read as bash reads it: assignments '
                "(NAME=value), wrappers (sudo -u, env, nohup, time, nice, timeout) and a path before the program",
                "OpenHands (execute_bash), Claude Code (Bash), any shell tool",
                "POSIX Shell Command Language 2.9.1 (Simple Commands, Command Search and Execution); "
                "sudo(8), env(1) options; OpenHands CmdRunAction args (command, is_input); "
                "Claude Code Bash input (command, description)",
                "command_flat (the commands, whitespace-free, from the program's name on)",
            ),
        ),
        extract=_extract,
        status=_status,
        columns={
            "command_flat": "a shell tool call's commands (from the program's name on, whitespace removed, "
            "joined by &&) when its command line names git, gh, glab or hub, else null"
        },
    )
)
