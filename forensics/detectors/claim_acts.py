"""Acts that back a policy claim besides tool calls by name, for ``claims.claim_hits``: the API
call a shell command line makes, and handoffs."""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.conventions.registry import on_rows
from forensics.detectors.base import Context

#: Shell command lines that make an API call a claim names, read as that call (a coding agent's
#: shell tool, Claude Code ``Bash``, is named for nothing it does): ``gh pr create`` ("Create a pull
#: request on GitHub", man gh-pr-create(1)), ``hub pull-request``, ``glab mr create`` ("Create a new
#: merge request.", man glab-mr-create(1)), ``gh issue create`` / ``glab issue create``. Each reads
#: as the name the same call has as a tool (the GitHub MCP servers' ``create_pull_request`` and
#: ``create_issue``), so a policy claim's ``tool`` pattern is matched against it as against a
#: tool's name; a command line that only names the command (an ``echo`` of it) makes no call. Over ``args`` as the prepared table keeps it
#: (whitespace removed), at the start of the command line or of one ``&&``/``||``/``;`` segment.
_SEGMENT_START: Final = r'(?:"(?:command|cmd)":"|&&|\|\||;|\\n)(?:sudo)?'
_COMMAND_CALLS: Final = (
    (r"ghprcreate|hubpull-request|hubprcreate", "create_pull_request"),
    (r"glabmrcreate", "create_merge_request"),
    (r"(?:gh|glab)issuecreate", "create_issue"),
    # Named resource.verb (as ``hotels.book``): the act is the push (claim_vocabulary.tool_verb_object). After
    # git's own options that say where it runs, not what (``git -C <path> push``, ``--no-pager``,
    # ``--git-dir=``/``--work-tree=``: git.c handle_options): a coding agent outside the repo's
    # directory pushes with ``git -C /work/app push``.
    (r"""git(?:-C[^"&;|'\\]+?|--no-pager|--(?:git-dir|work-tree)=[^"&;|'\\]+?)*push""", "git.push"),
)
#: Any of the command lines: one regex pass finds the few calls one of them can name.
_ANY_COMMAND: Final = _SEGMENT_START + "(?:" + "|".join(command for command, _ in _COMMAND_CALLS) + ")"


def _which_calls(args: pl.Expr) -> pl.Expr:
    """The calls a command line makes, in ``_COMMAND_CALLS`` order: one line may chain several
    (``git push origin HEAD:fix && gh pr create ...`` pushes and opens the PR)."""
    calls = pl.concat_list(
        [
            pl.when(args.str.contains(_SEGMENT_START + "(?:" + command + ")").fill_null(False)).then(pl.lit(call))
            for command, call in _COMMAND_CALLS
        ]
    ).list.drop_nulls()
    return pl.when(calls.list.len() > 0).then(calls)


def command_call(frame: pl.LazyFrame, args: str = "args") -> pl.LazyFrame:
    """``frame`` with ``as_call``: the tool name of the API call a shell tool call's command line
    makes (``gh pr create`` -> ``create_pull_request``), else null; ``args`` is the whitespace-free
    arguments column. Where the frame has the commands as the shell reads them (conventions
    ``command_flat``: ``sudo -u deploy /usr/bin/git push`` is a push), they are read instead. One regex finds the rows naming any command; the commands
    are told apart in those rows only. A line that chains several calls (``git push ... && gh pr
    create ...``) made each: its row is repeated once per call, so a claim of the push is backed by
    the line that pushed and opened the PR. The mask is a column of
    its own: written inline, on_rows' three uses of it each ran the regex again (0.058 s against
    0.013 s over the bench night's 233,147 tool calls)."""
    held = frame.with_columns(pl.col(args).str.contains(_ANY_COMMAND).alias("_command"))
    calls = on_rows(pl.col("_command"), pl.col(args), _which_calls)
    if "command_flat" in frame.collect_schema().names():
        # Where the words were read, they decide: a separator inside a quoted word (``git commit
        # -m "wip; git push later"``) ends no command, though ``args`` shows one there.
        read = pl.col("command_flat").is_not_null()
        calls = pl.when(read).then(on_rows(read, pl.col("command_flat"), _which_calls)).otherwise(calls)
    return (
        held.with_columns(calls.alias("_calls"))
        .explode("_calls")
        .with_columns(pl.coalesce("_calls", _http_write(pl.col(args))).alias("as_call"))
        .drop("_command", "_calls")
    )


#: A generic HTTP tool's write: a method that changes the resource (``{"method": "POST", "url": ...}``,
#: an HTTP request node), or LangChain's RequestsPostTool / RequestsPatchTool / RequestsPutTool /
#: RequestsDeleteTool, named ``requests_post`` ... (langchain_community/tools/requests/tool.py), whose
#: input is ``{"url": ..., "data": ...}``. Over the whitespace-free arguments.
_HTTP_WRITE_METHOD: Final = r'(?i)"(?:method|http_method|verb)":"(?:post|put|patch|delete)"'
_HTTP_WRITE_TOOL: Final = r"(?i)(?:^|[^a-z])(?:requests?|http)_?(?:post|put|patch|delete)$"
#: The URL's path: what the call wrote to (``/v1/refunds``).
_URL_PATH: Final = r'(?i)"url":"(?:https?://[^/"]+)?(/[^"?#]*)'


def _http_write(args: pl.Expr) -> pl.Expr:
    """``http <path>`` for a generic HTTP tool's write, else null: the REST resource a POST to
    ``/v1/refunds`` creates is a refund (Stripe's Create a refund is ``POST /v1/refunds``), so a
    policy claim's tool pattern (``refund``) is matched against the path as against a tool's name.
    A read (GET) names a resource it did not change and is no such act."""
    write = args.str.contains(_HTTP_WRITE_METHOD) | pl.col("call_tool").str.contains(_HTTP_WRITE_TOOL)
    path = args.str.extract(_URL_PATH, 1)
    return pl.when(write.fill_null(False) & path.is_not_null()).then(pl.concat_str([pl.lit("http "), path]))


def handoff_acts(ctx: Context) -> pl.LazyFrame:
    """The run's handoff spans as acts (``run_key, call_tool, succeeded, span_id, seq, as_call``):
    a claim of passing the case on ("I've passed your refund to our refunds team") is backed by a handoff that happened, the OpenAI Agents SDK's handoff span or
    google-adk's transfer_to_agent, as by a transfer tool (langgraph-supervisor's
    transfer_to_<agent>).

    The act is named ``handoff``, not by its call: it backs only a claim whose tool vocabulary
    hands over. Named by its call, ``transfer_to_writer`` backed "The brief is posted in
    #research" (the posting claim's tool vocabulary has ``write``): a handoff posts nothing.

    A handoff to the agent that gives the run's answer passed nothing on from it: it brought the
    case to that agent. The OpenAI Agents SDK takes only the first of several handoffs one model
    response asks for (src/agents/_run_impl.py execute_handoffs: the others are answered "Multiple
    handoffs detected, ignoring this one.", the span gets SpanError "Multiple handoffs requested");
    the agent handed to then says "I've also passed your request ... to our cancellations team",
    which the handoff that brought the case to it does not back."""
    spans = ctx.spans.lazy()
    answerer = (
        ctx.runs.lazy()
        .select("run_key", pl.col("answer_span_id").alias("span_id"))
        .join(spans.select("run_key", "span_id", "agent"), on=["run_key", "span_id"])
        .select("run_key", pl.col("agent").str.to_lowercase().str.strip_chars().alias("_answerer"))
        .unique("run_key")
    )
    to_answerer = (
        pl.col("handoff_target").str.to_lowercase().str.strip_chars() == pl.col("_answerer")
    ).fill_null(False)
    return (
        spans.filter(pl.col("kind") == "handoff")
        .join(answerer, on="run_key", how="left")
        .filter(~to_answerer)
        .select(
            "run_key",
            pl.lit("handoff").alias("call_tool"),
            "succeeded",
            "span_id",
            "seq",
            pl.lit(None, dtype=pl.String).alias("as_call"),
        )
    )


def _stem(word: str) -> str:
    """A word without its plural ending (``emails`` -> email, ``issues`` -> issue)."""
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        return word[:-1]
    return word


def same_act(name: str, other: str) -> bool:
    """Whether ``other``, another tool's name, holds the verb and object words of ``name``'s
    (``send_email`` -> ``GMAIL_SEND_EMAIL``, ``mcp__mail__send_emails``; not ``send_message``)."""
    from forensics.detectors.claim_vocabulary import name_words, tool_verb_object

    parts = tool_verb_object(name)
    if parts is None or other == name:
        return False
    words = {_stem(w) for w in name_words(other)}
    return parts[0] in words and {_stem(w) for w in parts[1]} <= words


def recovered_by_another_tool(ctx: Context, failed: pl.LazyFrame) -> pl.LazyFrame:
    """``run_id, span_id`` of the ``failed`` tool calls a later successful call of another tool
    named for the same act did (``same_act``: ``send_email`` failed, then ``GMAIL_SEND_EMAIL`` or
    ``mcp__gmail__send_email`` sent it): the agent moved to the other tool, the act was done."""
    lost = failed.select("run_id", "span_id", "seq", "call_tool").drop_nulls("call_tool").collect()
    ok = (
        ctx.spans.lazy()
        .filter((pl.col("kind") == "tool") & pl.col("succeeded") & pl.col("call_tool").is_not_null())
        .join(lost.lazy().select("run_id").unique(), on="run_id", how="semi")
        .select("run_id", pl.col("seq").alias("_o_seq"), pl.col("call_tool").alias("_other"))
        .collect()
    )
    pairs = lost.join(ok, on="run_id").filter(pl.col("_o_seq") > pl.col("seq"))
    same = [(n, o) for n, o in pairs.select("call_tool", "_other").unique().iter_rows() if same_act(n, o)]
    if not same:
        return pl.LazyFrame(schema={"run_id": pl.String, "span_id": pl.String})
    done = pairs.join(
        pl.DataFrame(same, schema=["call_tool", "_other"], orient="row"), on=["call_tool", "_other"]
    )
    return done.lazy().select("run_id", "span_id").unique()


def done_by_another_tool(tools: pl.LazyFrame, never_done: pl.DataFrame) -> pl.DataFrame:
    """``never_done`` (``run_key, call_tool``: a tool with no successful call in the run) without
    the pairs whose act another tool of the run did: a successful call of a tool whose name holds
    the same verb and object words (``send_email`` failed, ``GMAIL_SEND_EMAIL`` or ``email.send``
    sent it; a shell ``git push`` (``git.push``) for ``git_push``). Toolkits prefix the same act with their app
    (Composio's ``GMAIL_SEND_EMAIL``, ``GITHUB_CREATE_AN_ISSUE``: APP_ACTION slugs), MCP hosts with
    their server (``mcp__github__create_issue``), and an agent moves to the other tool when the
    first fails: the claim the first tool's name makes is then backed. A tool with another verb or
    object (``send_message`` for ``send_email``) does not count: its name does not say it did it."""
    if never_done.height == 0:
        return never_done
    ok = (
        tools.filter(pl.col("succeeded"))
        # The runs asked about first: the distinct names are then found in those runs' calls only.
        .join(never_done.lazy().select("run_key").unique(), on="run_key", how="semi")
        .select("run_key", pl.coalesce("as_call", "call_tool").alias("other"))
        .drop_nulls()
        .unique()
        .collect()
    )
    pairs = never_done.select("run_key", "call_tool").join(ok, on="run_key")
    same = [(n, o) for n, o in pairs.select("call_tool", "other").unique().iter_rows() if same_act(n, o)]
    if not same:
        return never_done
    done = pairs.join(
        pl.DataFrame(same, schema=["call_tool", "other"], orient="row"), on=["call_tool", "other"]
    )
    return never_done.join(
        done.select("run_key", "call_tool").unique(), on=["run_key", "call_tool"], how="anti"
    )
