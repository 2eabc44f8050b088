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
  role``, ``-t type``, ``-T timeout``, ``-U user``, ``-R dir``, and their long forms ``--user``
  ...; ``--`` ends them); ``doas -u user`` alike (doas(1));
* ``runuser -u deploy -- git push``: util-linux runuser(1) (login-utils/su-common.c, shared with
  su) runs its command as another user when given ``-u``/``--user`` (options taking an argument:
  ``-u``, ``-g``, ``-G``, ``-s``, ``-w``, ``-c``, long forms ``--user``, ``--group``, ``--supp-group``,
  ``--shell``, ``--whitelist-environment``, ``--command``, ``--session-command``); without ``-u`` it
  is su: ``runuser -l deploy -c "git push"`` runs the ``-c`` line;
* ``nohup``, ``time [-p]``, ``nice [-n N]``, ``timeout [opts] DURATION``, ``command``, ``exec``,
  ``stdbuf -oL``, ``setsid``, ``ionice [-c class] [-n level]``: they run the command that follows
  (a long option written apart from its value, ``timeout --signal KILL 30``, ``nice --adjustment 5``,
  ``env --chdir /srv``, takes the next word too: GNU getopt_long's required arguments).

Read with :mod:`shlex`'s POSIX rules (quotes, escapes; ``&&``, ``||``, ``;``, ``|`` and line breaks
end a command), one parse per distinct command line. The convention keeps, for the shell tool
calls whose command line names a program an act is read from (``git``, ``gh``, ``glab``, ``hub``:
claim_acts), the commands in the whitespace-free form ``args`` has (``command_flat``), read before
``prepare`` drops the raw input.
"""

from __future__ import annotations

import json
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
#: (the next word is that argument, not the command; a long one only when written apart from its
#: value, ``--user deploy``, not ``--user=deploy``): sudo(8), doas(1), env(1), nice(1), timeout(1),
#: stdbuf(1) (GNU coreutils), time (bash keyword / time(1)), nohup(1), command and exec (builtins),
#: util-linux runuser(1) (with ``-u``: _SU_WITHOUT), setsid(1) and ionice(1).
_WRAPPERS: Final[dict[str, frozenset[str]]] = {
    "sudo": frozenset({"-u", "-g", "-C", "-D", "-h", "-p", "-r", "-t", "-T", "-U", "-R", "--user", "--group",
                       "--close-from", "--chdir", "--host", "--prompt", "--role", "--type", "--command-timeout",
                       "--other-user", "--chroot"}),
    "doas": frozenset({"-u", "-C"}),
    "env": frozenset({"-u", "-C", "-S", "--unset", "--chdir", "--split-string"}),
    "nice": frozenset({"-n", "--adjustment"}),
    "timeout": frozenset({"-s", "-k", "--signal", "--kill-after"}),
    "stdbuf": frozenset({"-i", "-o", "-e", "--input", "--output", "--error"}),
    "time": frozenset({"-f", "-o", "--format", "--output"}),
    "nohup": frozenset(),
    "command": frozenset(),
    "exec": frozenset({"-a"}),
    "runuser": frozenset({"-u", "-g", "-G", "-s", "-w", "-c", "--user", "--group", "--supp-group", "--shell",
                          "--whitelist-environment", "--command", "--session-command"}),
    "setsid": frozenset(),
    "ionice": frozenset({"-c", "-n", "--class", "--classdata"}),
}
#: A wrapper that runs a command only when given one of these options; without, it is su(1)
#: (runuser(1): "If the option -u is not given, runuser falls back to su-compatible semantics and a
#: shell is executed"), read as su is (a ``-c`` line).
_SU_WITHOUT: Final[dict[str, frozenset[str]]] = {"runuser": frozenset({"-u", "--user"})}
#: timeout(1)'s first operand is the duration, not the command.
_OPERAND_FIRST: Final = frozenset({"timeout"})
#: Reserved words that open a compound command (POSIX 2.4, 2.9.4: ``if git push; then ...``,
#: ``while``, ``! cmd``, ``{ cmd; }``) and a subshell's ``(``: the command follows them.
_OPENERS: Final = frozenset({"if", "then", "elif", "else", "while", "until", "do", "!", "{", "("})
#: Shells that run their ``-c`` operand as a command line (bash(1), sh(1) "-c: commands are read
#: from the first non-option argument"; Codex CLI's shell tool runs ``["bash", "-lc", script]``,
#: openai/codex codex-rs/core/src/bash.rs), and su(1)'s ``-c command``.
_SHELLS: Final = frozenset({"bash", "sh", "zsh", "dash", "ksh"})
#: git's own options before its subcommand (git(1) SYNOPSIS, git.c handle_options), with those
#: that take the next word as their value: ``git -c http.extraheader=... push`` is a push.
_GIT_OPTION_VALUE: Final = frozenset(
    {"-C", "-c", "--git-dir", "--work-tree", "--namespace", "--config-env", "--super-prefix", "--attr-source"}
)
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


def _script(name: str, operands: list[str]) -> str | None:
    """The command line a shell runs from its ``-c`` (``bash -lc "git push"``, ``su deploy -c
    "git push"``), else None."""
    i = 0
    while i < len(operands) - 1:
        word = operands[i]
        if word == "--command" or (word.startswith("-") and not word.startswith("--") and "c" in word[1:]):
            return operands[i + 1]
        if name in _SHELLS and not word.startswith(("-", "+")):
            return None  # a script file's name: its operands are the script's arguments
        i += 2 if name in _SHELLS and word in ("-o", "-O", "+o", "+O") else 1
    return None


def _unwrapped(words: list[str]) -> list[str]:
    """One command's words from its command name on: assignments, reserved words and wrappers
    before it removed, the command name without its directory."""
    i = 0
    while i < len(words):
        word = words[i]
        if _ASSIGNMENT.match(word) or word in _OPENERS:
            i += 1
            continue
        name = os.path.basename(word)
        takes = _WRAPPERS.get(name)
        if takes is None:
            return [name, *words[i + 1 :]]
        at = i
        i += 1
        operand_pending = name in _OPERAND_FIRST
        options: set[str] = set()
        while i < len(words) and words[i].startswith("-") and words[i] != "-":
            option = words[i]
            options.add(option.split("=", 1)[0])
            i += 1
            if option == "--":
                break
            if option in takes and i < len(words):
                i += 1
        if name in _SU_WITHOUT and not options & _SU_WITHOUT[name]:
            return [name, *words[at + 1 :]]  # su's form: its -c line is read as su's
        if operand_pending and i < len(words):
            i += 1
    return []


def commands(line: str) -> list[list[str]]:
    """The commands ``line`` runs, each as its words from the command name on (``sudo -u deploy
    /usr/bin/git push origin main`` -> ``[["git", "push", "origin", "main"]]``); a shell's ``-c``
    command line is read for the commands it runs (``bash -lc "git push"`` -> ``[["git", "push"]]``)."""
    out: list[list[str]] = []
    for physical in line.splitlines():
        current: list[str] = []
        for word in [*_words(physical), ";"]:
            if word in _SEPARATORS or (word and set(word) <= set("&|;")):
                if (cmd := _unwrapped(current)) and cmd[0]:
                    script = _script(cmd[0], cmd[1:]) if cmd[0] in _SHELLS | {"su", *_SU_WITHOUT} else None
                    out.extend(commands(script) if script is not None else [cmd])
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
        '"command":"'
        + "&&".join(
            "".join(_IN_WORD.sub("", w) for w in _git_subcommand_first(cmd)) for cmd in commands(line)
        )
        + '"'
    )


def _git_subcommand_first(cmd: list[str]) -> list[str]:
    """A git command with git's own options before its subcommand dropped (``git -c k=v -C dir
    push`` -> ``git push``); any other command as it is."""
    if cmd[0] != "git":
        return cmd
    i = 1
    while i < len(cmd) and cmd[i].startswith("-"):
        i += 2 if cmd[i] in _GIT_OPTION_VALUE else 1
    return ["git", *cmd[i:]]


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


def _line(text: str) -> str | None:
    """The command line of a shell tool's input: a ``command`` given as a list of words (Codex CLI's
    shell tool, ``{"command": ["bash", "-lc", "git push"], "workdir": ...}``) joined with the
    shell's quoting, so each word stays one word; a string as it is."""
    from forensics.detectors.shell_commands import command_line

    try:
        data = json.loads(text)
    except ValueError:
        data = None
    argv = next((data[k] for k in ("command", "cmd") if k in data), None) if isinstance(data, dict) else None
    if isinstance(argv, list) and argv and all(isinstance(w, str) for w in argv):
        return shlex.join(argv)
    return command_line(text)


def _status(df: pl.DataFrame) -> pl.DataFrame:
    held = df.get_column("_cv_shell_input").drop_nulls().unique()
    flat = [flat_commands(line) if (line := _line(text)) is not None else None for text in held.to_list()]
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
                "(NAME=value), wrappers (sudo -u, runuser -u, env, nohup, time, nice, timeout, setsid, ionice; long "
                "options apart from their value) and a path before the program; "
                "a shell's -c command line (bash -lc, su -c, runuser without -u), reserved words (if, then, do, !), git's own options "
                "before its subcommand (git -c k=v push)",
                "OpenHands (execute_bash), Claude Code (Bash), Codex CLI (shell, command as a list), any shell tool",
                "POSIX Shell Command Language 2.9.1 (Simple Commands, Command Search and Execution), 2.4 "
                "(Reserved Words); sudo(8), env(1), bash(1) -c, su(1) -c options; util-linux runuser(1), "
                "login-utils/su-common.c (runuser: -u runs a command, else su's semantics); git(1) SYNOPSIS / git.c "
                "handle_options; OpenHands CmdRunAction args (command, is_input); Claude Code Bash input "
                "(command, description); openai/codex codex-rs/core/src/bash.rs (bash -lc script)",
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
