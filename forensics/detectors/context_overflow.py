"""context_collapse's context_overflow: the context window was exceeded or an output was cut.

Its own module (context_collapse.py holds the rules about repeated and redone work).
"""

from __future__ import annotations

from typing import Final

import polars as pl

from forensics.detectors.base import TRUNCATED_FINISH, Context, Detector, hms, on_rows, txt
from forensics.detectors.findings import at_step_before_event, per_run_finding
from forensics.detectors.registry import register
from forensics.policy import Threshold


def _continued(spans: pl.LazyFrame, cut: pl.LazyFrame) -> pl.LazyFrame:
    """``run_id, span_id, reasked``: the cut calls the caller continued. The Vercel AI SDK's
    generateText with continueSteps (packages/ai/core/generate-text/generate-text.ts): a step that
    finished with ``length`` and made no tool call is followed by a ``continue`` step, a next
    doGenerate under the same generateText span whose text is appended to the cut one (``text +
    stepText``; the last assistant message is extended), so the answer is whole when a later step
    finishes normally. Read from the spans: the next model call of the same model under the same
    parent, with no tool call between, that was neither cut nor failed. A cut step that made tool
    calls, or whose next step was cut too or failed, was not continued to an end.

    A continuation leaves the cut answer as the request's last message for the model to go on from
    (Anthropic's prefill: anthropic-sdk-python types/message.py ``stop_reason: "max_tokens"``, the
    partial response sent back as the final assistant turn; the Vercel SDK's continue step extends
    the last assistant message). A next call whose request ends on a new user or tool turn
    (OpenInference ``llm.input_messages.<i>.message.role``, OpenLLMetry ``gen_ai.prompt.<i>.role``:
    the highest index is the last turn) and that then called a tool asked something else and acted
    on the cut text as it stood (published it, sent it): not a continuation."""
    calls = (
        spans.filter((pl.col("kind") == "llm") & pl.col("parent_id").is_not_null())
        .select("run_id", "span_id", "seq", "parent_id", "model", "cut_short", "failed", pl.col("last_turn_role").alias("turn"))
        .sort("run_id", "parent_id", "seq")
        .with_columns(
            *[pl.col(c).shift(-1).over("run_id", "parent_id").alias(f"n_{c}")
              for c in ("seq", "model", "cut_short", "failed", "turn")],
            pl.col("seq").shift(-2).over("run_id", "parent_id").alias("n2_seq"),
        )
        .join(cut.select("run_id", "span_id"), on=["run_id", "span_id"], how="semi")
        .filter(
            pl.col("n_seq").is_not_null()
            & pl.col("model").eq_missing(pl.col("n_model"))
            & ~pl.col("n_cut_short").fill_null(True)
            & ~pl.col("n_failed").fill_null(True)
        )
    )
    tools = spans.filter(pl.col("kind") == "tool").select("run_id", pl.col("seq").alias("t_seq"))
    between = (
        calls.join(tools, on="run_id")
        .filter((pl.col("t_seq") > pl.col("seq")) & (pl.col("t_seq") < pl.col("n_seq")))
        .select("run_id", "span_id")
        .unique()
    )
    # The next call asked on a new turn and went on to a tool: it acted on the cut text (docstring).
    acted = (
        calls.filter(pl.col("n_turn").is_in(["user", "tool"]))
        .join(tools, on="run_id")
        .filter((pl.col("t_seq") > pl.col("n_seq")) & (pl.col("t_seq") < pl.col("n2_seq")).fill_null(True))
        .select("run_id", "span_id")
        .unique()
    )
    return (
        calls.join(between, on=["run_id", "span_id"], how="anti")
        .join(acted, on=["run_id", "span_id"], how="anti")
        .select("run_id", "span_id", pl.lit(True).alias("reasked"))
    )



def _fell_back(spans: pl.LazyFrame, window: pl.Expr) -> pl.LazyFrame:
    """``run_id, span_id, reasked`` of the model calls refused for exceeding the window whose next
    model call under the same parent was answered normally, either by another model or with a prompt
    that fits. Another model: a context-window fallback (LiteLLM's ``context_window_fallbacks``,
    docs/proxy/reliability.md: "If the error is a context window exceeded error, fall back to a
    larger model group"; LangChain's ``with_fallbacks``). The same model with a prompt the log shows
    under the model's window (``window``: its prompt tokens known and below it), no tool call between
    and a model call between that summarised the history: the caller did what the refusal asks
    ("Please reduce the length of the messages") by compacting, and asked again. The request was
    answered; the overflow lost no answer (what a summary dropped is compaction's story). The same
    model asked again on a prompt merely cut shorter (no summary made between: what was cut is gone
    from its context), with no smaller prompt shown, or a second call that failed or was cut too, is
    no such rescue."""
    # Only the runs with a refusal for the window can hold such a rescue: everything below reads
    # their spans alone, collected once (the whole table's model calls, sorted and windowed, read
    # four times over, were most of this detector's time).
    refusals = spans.filter((pl.col("kind") == "llm") & pl.col("failed") & pl.col("overflow_text").fill_null(False))
    spans = spans.join(refusals.select("run_id").unique(), on="run_id", how="semi").collect().lazy()
    cols = ("model", "failed", "cut_short", "input_tokens", "seq")
    nxt = {c: pl.col(c).shift(-1).over("run_id", "parent_id").alias(f"_n_{c}") for c in cols}
    smaller = pl.col("model").eq_missing(pl.col("_n_model")) & (pl.col("_n_input_tokens") < window).fill_null(False)
    rescued = (
        spans.filter(pl.col("kind") == "llm")
        .sort("run_id", "seq")
        .with_columns(*nxt.values())
        .filter(
            pl.col("failed")
            & pl.col("overflow_text").fill_null(False)
            & ((pl.col("_n_model") != pl.col("model")).fill_null(False) | smaller)
            & ~pl.col("_n_failed").fill_null(True)
            & ~pl.col("_n_cut_short").fill_null(True)
        )
        .select("run_id", "span_id", "seq", "_n_seq", smaller.alias("_same"))
    )
    # The same model asked again is the same request only with no tool call between: work a tool
    # split into pieces (a chunker, then one call per piece) answered parts, not the request refused.
    tools = spans.filter(pl.col("kind") == "tool").select("run_id", pl.col("seq").alias("_t_seq"))
    split = (
        rescued.filter(pl.col("_same"))
        .join(tools, on="run_id")
        .filter((pl.col("_t_seq") > pl.col("seq")) & (pl.col("_t_seq") < pl.col("_n_seq")))
        .select("run_id", "span_id")
        .unique()
    )
    # ... and a compaction only where a model call made the summary between the refusal and the
    # re-ask (any parent: the summariser usually runs in a step of its own); with none, the prompt was
    # truncated and what was cut is lost.
    calls = spans.filter(pl.col("kind") == "llm").select("run_id", pl.col("seq").alias("_s_seq"))
    summarised = (
        rescued.filter(pl.col("_same"))
        .join(calls, on="run_id")
        .filter((pl.col("_s_seq") > pl.col("seq")) & (pl.col("_s_seq") < pl.col("_n_seq")))
        .select("run_id", "span_id")
        .unique()
    )
    truncated = rescued.filter(pl.col("_same")).join(summarised, on=["run_id", "span_id"], how="anti")
    return (
        rescued.join(split, on=["run_id", "span_id"], how="anti")
        .join(truncated.select("run_id", "span_id"), on=["run_id", "span_id"], how="anti")
        .select("run_id", "span_id", pl.lit(True).alias("reasked"))
    )


#: Strands' own exception for a prompt past the model's window (strands.types.exceptions), bare or
#: qualified: every Strands model provider raises it for its provider's overflow text (BedrockModel:
#: "Input is too long for requested model", src/strands/models/bedrock.py).
_STRANDS_OVERFLOW: Final = r"(?:^|\.)ContextWindowOverflowException$"


def _reduced_and_retried(spans: pl.LazyFrame) -> pl.LazyFrame:
    """``run_id, span_id, reasked`` of the spans (the model call, the event-loop cycle it raised
    through) failed with Strands' ContextWindowOverflowException whose agent then called its model
    again and was answered. Strands handles the overflow itself: ``Agent._execute_event_loop_cycle``
    catches it, has its conversation manager reduce the history (``reduce_context``: the default
    SlidingWindowConversationManager trims the oldest messages or truncates tool results, the
    SummarizingConversationManager summarises them) and runs the cycle again; when nothing is left to
    reduce, ``reduce_context`` raises the overflow again and the agent fails
    (strands-agents/sdk-python src/strands/agent/agent.py, agent/conversation_manager/
    sliding_window_conversation_manager.py). A later model call of the same agent that succeeded
    and was not cut is that retried cycle answered: the framework's designed path, not a lost
    context. With no such call (the reduction failed, or the run ended there) the overflow stands."""
    overflowed = spans.filter(
        pl.col("failed")
        & pl.col("overflow_text").fill_null(False)
        & pl.col("error_type").str.contains(_STRANDS_OVERFLOW).fill_null(False)
        & pl.col("agent").is_not_null()
    ).select("run_id", "span_id", "seq", "agent")
    answered = spans.filter(
        (pl.col("kind") == "llm") & ~pl.col("failed") & ~pl.col("cut_short").fill_null(False)
    ).select("run_id", "agent", pl.col("seq").alias("_a_seq"))
    return (
        overflowed.join(answered, on=["run_id", "agent"])
        .filter(pl.col("_a_seq") > pl.col("seq"))
        .select("run_id", "span_id", pl.lit(True).alias("reasked"))
        .unique()
    )


def _tool_cut() -> pl.Expr:
    """A tool whose result is a model's response cut at its output limit: a tool that calls a model
    itself and hands back the provider's response (OpenAI's chat completion choice carries
    ``finish_reason: "length"``, Anthropic's message ``stop_reason: "max_tokens"``). The framework
    records the tool's return value as the span's output: smolagents' tool span is OK with the
    returned object as ``output.value`` (openinference-instrumentation-smolagents ``_wrappers.py``
    ``_ToolCallWrapper``), so the cut shows only there. Only the tool outputs holding a hint
    (``length``, ``max_``) are read by the regex."""
    hint = pl.col("output").str.contains("length", literal=True) | pl.col("output").str.contains("max_", literal=True)
    return on_rows(
        (pl.col("kind") == "tool") & hint.fill_null(False),
        pl.col("output"),
        lambda e: e.str.contains(TRUNCATED_FINISH),
    ).fill_null(False)


def _tool_reasked(spans: pl.LazyFrame) -> pl.LazyFrame:
    """``run_id, span_id, reasked`` of the cut tool results the agent asked for again: a later call
    of the same tool by the same agent that succeeded and was not cut (the agent saw the cut and
    re-ran the tool with a larger output budget, or a narrower request): the answer was not lost,
    as a cut model output asked again is not. A cut tool result whose own model call is traced
    below it (a cut model call as its child) is that model call's story, told there."""
    tools = spans.filter(pl.col("kind") == "tool")
    cut = tools.filter(pl.col("tool_cut")).select("run_id", "span_id", "seq", "agent", "call")
    again = tools.filter(~pl.col("tool_cut") & ~pl.col("failed")).select(
        "run_id", pl.col("seq").alias("r_seq"), "agent", "call"
    )
    reasked = (
        cut.join(again, on=["run_id", "agent", "call"], nulls_equal=True)
        .filter(pl.col("r_seq") > pl.col("seq"))
        .select("run_id", "span_id")
    )
    inner = spans.filter((pl.col("kind") == "llm") & pl.col("cut_short")).select(
        "run_id", pl.col("parent_id").alias("span_id")
    )
    told_below = cut.join(inner.drop_nulls(), on=["run_id", "span_id"], how="semi").select("run_id", "span_id")
    return pl.concat([reasked, told_below]).unique().with_columns(pl.lit(True).alias("reasked"))


#: A model LiteLLM routes to an Ollama server: its ``ollama/`` and ``ollama_chat/`` provider prefixes
#: (LiteLLM docs, providers/ollama), which smolagents' ``LiteLLMModel(model_id="ollama_chat/...")``
#: keeps as the model id the OpenInference instrumentation writes as ``llm.model_name``. Through
#: Ollama's OpenAI-compatible endpoint (smolagents ``OpenAIServerModel(api_base=".../v1")``) the
#: name is Ollama's own ``model:tag``, the tag a size or ``latest`` (``llama3.2:3b``,
#: ``qwen2.5-coder:14b-instruct-q4_K_M``: the Ollama library's naming).
OLLAMA_MODEL: Final = r"(?i)^ollama(?:_chat)?/|^[a-z0-9][\w.-]*:(?:latest|\d+(?:\.\d+)?[bm](?:-[\w.-]+)?)$"
#: How far under the window a cut prompt's count may sit (Ollama drops whole older messages to fit,
#: server/prompt.go chatPrompt) and over it (a template's own tokens: a 200 answer reporting
#: prompt_eval_count 2050 on a 2048 window, ollama/ollama#17889).
_BELOW: Final = 0.9
_ABOVE: Final = 1.01
#: "The conversation grew": the later prompt is at least this many characters longer, and its token
#: count grew by under a tenth of the characters added (English text runs about four characters a
#: token, JSON-escaped messages fewer tokens still; a prompt read whole grows by a quarter).
_GROWN_CHARS: Final = 2000
_CHARS_PER_TOKEN_CUT: Final = 10


def _pinned_at_default(spans: pl.LazyFrame, windows: list[int]) -> pl.LazyFrame:
    """``run_key, span_id, default_window, own_window``: model calls whose prompts were cut to a
    window, read from counts pinned at it while the conversation sent grew (conventions
    ``prompt_chars``). The window is the one the request set (Ollama's ``num_ctx``: ``own_window``),
    else, for an Ollama model, one of Ollama's defaults (policy ``ollama_default_windows``: 2048
    tokens, docs/faq.md "How can I specify the context window size?", later 4096,
    docs/context-length.mdx: ``default_window``). Ollama cuts a prompt longer than its window and
    answers normally, reporting the tokens it kept (``prompt_eval_count``, LiteLLM's
    ``usage.prompt_tokens``, OpenInference's ``llm.token_count.prompt``), which can sit a little under
    the window (2041 of 2048): two calls at the window, the later sent far more, its count not grown
    with it, were both cut (the earlier one at least filled the window). Once two such calls show
    the window, every call of that model in the run whose count reached theirs filled it too: the
    first of them is where the prompts began to be cut, whether or not a later call sent far more
    than it. A count under the window, or one that grew with its prompt through a default on the way
    up (a server started with a larger OLLAMA_CONTEXT_LENGTH), is none."""
    tokens = pl.col("input_tokens")

    def near(w: pl.Expr | int) -> pl.Expr:
        w_expr = w if isinstance(w, pl.Expr) else pl.lit(w)
        return (tokens >= (w_expr * _BELOW).floor()) & (tokens <= (w_expr * _ABOVE).floor())

    at = pl.lit(None, dtype=pl.Int64)
    for w in sorted(windows, reverse=True):
        at = pl.when(near(w)).then(pl.lit(w, dtype=pl.Int64)).otherwise(at)
    own = pl.col("prompt_window").is_not_null()
    window = pl.when(own).then(pl.when(near(pl.col("prompt_window"))).then(pl.col("prompt_window"))).otherwise(at)
    calls = (
        spans.filter(
            (pl.col("kind") == "llm")
            & (own | pl.col("model").str.contains(OLLAMA_MODEL).fill_null(False))
            & pl.col("prompt_chars").is_not_null()
        )
        .select("run_key", "span_id", "seq", "model", "input_tokens", "prompt_chars", own.alias("own_window"),
                window.alias("default_window"))
        .filter(pl.col("default_window").is_not_null())
    )
    grown = pl.col("prompt_chars_l") - pl.col("prompt_chars")
    key = ["run_key", "model", "default_window"]
    pairs = calls.join(calls, on=key, suffix="_l").filter(
        (pl.col("seq_l") > pl.col("seq"))
        & (grown >= _GROWN_CHARS)
        & ((pl.col("input_tokens_l") - pl.col("input_tokens")) * _CHARS_PER_TOKEN_CUT < grown)
    )
    shown = pl.concat([pairs.select(*key, "input_tokens"), pairs.select(*key, pl.col("input_tokens_l").alias("input_tokens"))])
    floor = shown.group_by(key).agg(pl.col("input_tokens").min().alias("_floor"))
    return (
        calls.join(floor, on=key)
        .filter(pl.col("input_tokens") >= pl.col("_floor"))
        .select(
            "run_key",
            "span_id",
            pl.when(~pl.col("own_window")).then(pl.col("default_window")).alias("default_window"),
            "own_window",
        )
        .unique(["run_key", "span_id"])
    )


@register
class ContextOverflow(Detector):
    name = "context_overflow"
    failure_class = "context_collapse"
    scope = "run"
    severity = "high"
    thresholds = (
        Threshold("context_fraction", 0.95, "Prompt tokens above this fraction of the model's window.",
                  "a fraction between 0 and 1", lambda v: 0 < v <= 1, (int, float)),
        Threshold("ollama_default_windows", [2048, 4096],
                  "The context windows an Ollama server runs a request with when nothing sets num_ctx "
                  "(2048, later 4096): prompt counts pinned at one while the conversation grew were cut.",
                  "a list of positive token counts", lambda v: all(isinstance(w, int) and w > 0 for w in v), (list,),
                  required=False),
    )
    strength = "strong"
    description = (
        "An error or finish reason says the context window was exceeded or the output was cut "
        "(context_length_exceeded, finish_reason=length, max_tokens; or an output token count equal to the cap its "
        "request set, conventions output_cap; or a tool's result that is a model response with such a finish "
        "reason, unless the agent ran the tool again and it came back whole), or prompt tokens exceed "
        "thresholds.context_fraction of the model's window (policy context_windows, else the vendored "
        "LiteLLM table in forensics/data/context_windows.json) in a run that also says the window was "
        "exceeded or an output was cut (a full window alone lost nothing). A prompt as long as the "
        "window its own request set (Ollama's num_ctx) was cut to fit, and so were prompts to an Ollama model with "
        "no num_ctx whose counts stayed at a default window (thresholds.ollama_default_windows) while the "
        "conversation sent grew (conventions prompt_chars). A cut output asked again "
        "or continued (the next call under the same parent, no tool call between: the Vercel AI "
        "SDK's continueSteps) that then finished normally lost nothing, nor did a request refused for the "
        "window whose next model call under the same parent went to another model and finished normally "
        "(LiteLLM context_window_fallbacks, LangChain with_fallbacks), or went to the same model with a prompt "
        "the log shows under the model's window after a model call summarised the history, no tool call between (the "
        "caller compacted, as the refusal asks, and asked again; a prompt merely truncated lost what was cut, and a "
        "tool that split the work into pieces answered parts, not the request). "
        "Decisive: the earliest such span, where the context first went past the window; where a "
        "request was refused for exceeding the window, that refusal (a near-full call before it was "
        "accepted and answered: evidence only); an enclosing span failing with the error its model "
        "call raised is not that span."
    )

    def detect(self, ctx: Context) -> pl.LazyFrame:

        from forensics.context_windows import window_column, windows_for

        pol = ctx.policy
        # The model's real window: the policy's [context_windows] for models it names, else the
        # vendored public table (forensics/data/context_windows.json). Looked up once per distinct
        # model name, then mapped onto the column.
        models = (
            ctx.spans.lazy().filter(pl.col("kind") == "llm").select("model").drop_nulls().unique().collect()
        ).get_column("model").to_list()
        known = windows_for(models, pol.context_windows)
        window = window_column(known)
        # Events too: a framework that reports the overflow as an event of its own (OpenHands'
        # ErrorObservation and agent_state_changed reason "LLMContextWindowExceedError: ...",
        # openhands/core/exceptions.py) records it on no model call.
        spans = ctx.spans.lazy().filter(pl.col("kind").is_in(["llm", "agent", "chain", "tool", "event"]))
        # A prompt pinned at Ollama's default window while the conversation grew (no num_ctx sent).
        # Joined onto the spans of the runs in play only (below): a join of every span on its ids is slow.
        pinned = _pinned_at_default(spans, list(pol.ollama_default_windows)).collect()
        # An output as long as its request's cap was cut there, finish reason or not (conventions
        # output_cap: max_tokens beside the output's token count); read as a cut output throughout.
        spans = spans.with_columns(_tool_cut().alias("tool_cut")).with_columns(
            (pl.col("cut_at_cap") & ~pl.col("cut_short")).alias("capped"),
            (pl.col("cut_short") | pl.col("cut_at_cap") | pl.col("tool_cut")).alias("cut_short"),
        )
        said_overflow = pl.col("failed") & pl.col("overflow_text")
        # A prompt as long as the window its own request set (Ollama's num_ctx): Ollama cuts a longer
        # prompt to num_ctx tokens and answers normally (docs/faq.md "How can I specify the context
        # window size?", default 2048; smolagents#201), so the count it reports is the window, whole.
        own_window_cut = ((pl.col("kind") == "llm") & (pl.col("input_tokens") >= pl.col("prompt_window"))).fill_null(False)
        prompt_cut = own_window_cut | pl.col("default_window").is_not_null() | pl.col("own_window").fill_null(False)
        # Every finding is in a run that says the window was exceeded, cut an output or filled the
        # window its request set (a full window alone needs one of them in its run), and everything
        # below compares spans within a run: those runs' spans are taken out first (a few hundred
        # runs of 20,000 at the bench night), and the sorts, windows and joins read them only.
        in_play = pl.concat(
            [
                spans.filter(said_overflow | pl.col("cut_short") | own_window_cut).select("run_key").unique().collect(),
                pinned.select("run_key").unique(),
            ]
        )
        spans = (
            spans.filter(pl.col("run_key").is_in(in_play.get_column("run_key").implode()))
            .join(pinned.lazy(), on=["run_key", "span_id"], how="left")
            .collect()
            .lazy()
        )
        # A cut output asked again: a later call of the same model by the same agent with the same
        # prompt (as long: the same prompt token count) that finished normally. The caller caught the cut and re-asked (e.g. with a larger max_tokens): the
        # answer was not lost, as a failure retried to success is not (TAXONOMY unhandled_error).
        cut = spans.filter(pl.col("cut_short")).select("run_id", "span_id", "seq", "model", "agent", "input_tokens")
        reasked = (
            cut.join(
                spans.filter((pl.col("kind") == "llm") & ~pl.col("cut_short") & ~pl.col("failed")).select(
                    "run_id", pl.col("seq").alias("r_seq"), "model", "agent", "input_tokens"
                ),
                on=["run_id", "model", "agent", "input_tokens"],
                nulls_equal=True,
            )
            .filter((pl.col("r_seq") > pl.col("seq")) & pl.col("input_tokens").is_not_null())
            .select("run_id", "span_id", pl.lit(True).alias("reasked"))
            .unique()
        )
        reasked = pl.concat(
            [reasked, _continued(spans, cut), _fell_back(spans, window), _tool_reasked(spans), _reduced_and_retried(spans)]
        ).unique()
        truncated = pl.col("cut_short") & pl.col("reasked").is_null()
        full = ((pl.col("kind") == "llm") & (pl.col("input_tokens") > pl.col("window") * pol.context_fraction)).fill_null(
            False
        )
        hits = (
            # Only the spans that can be a hit (said, cut short, or full) are joined with the re-asked
            # calls: the join of every span on its string ids was most of this detector's time.
            spans.with_columns(window.alias("window"))
            .filter(said_overflow | pl.col("cut_short") | full | prompt_cut)
            .join(reasked, on=["run_id", "span_id"], how="left")
            .with_columns(
                (said_overflow & pl.col("reasked").is_null()).alias("said"),
                (truncated | prompt_cut).alias("cut"),
                full.alias("full"),
                prompt_cut.alias("pcut"),
            )
            .filter(pl.col("said") | pl.col("cut") | pl.col("full"))
            # A near-full window is the failure only with something lost: the run also says the
            # window was exceeded or an output was cut (the near-full call is then where it began).
            # A call the provider accepted and answered normally lost nothing, however full; and a
            # window from a table may be another deployment's (the count past it proves nothing).
            .with_columns((pl.col("said") | pl.col("cut")).any().over("run_id").alias("_stated"))
            .filter(pl.col("said") | pl.col("cut") | (pl.col("full") & pl.col("_stated")))
            # Read three times below: computed once.
            .collect()
            .lazy()
        )
        # The overflow as raised: an enclosing agent/chain span that fails with the error its model
        # call raised (LangChain/LangSmith runs, OTel spans recording the exception on the way out)
        # starts earlier but is not where the context went past the window; the innermost span
        # saying so is (as budget_exceeded's limit stops: the error with no such error below it).
        said_below = hits.filter(pl.col("said")).select("run_id", pl.col("parent_id").alias("span_id")).drop_nulls()
        hits = hits.join(said_below.unique(), on=["run_id", "span_id"], how="anti")
        # An overflow an event reports (no model call: OpenHands' ErrorObservation) began at the step before it.
        hits = at_step_before_event(spans, hits)
        reason = (
            pl.when(pl.col("said"))
            .then(
                pl.format(
                    "{} {} failed at {} because the context window was exceeded ({})",
                    pl.col("kind"),
                    txt(pl.col("call")),
                    hms("t"),
                    pl.col("error_label"),
                )
            )
            .when(pl.col("pcut") & pl.col("default_window").is_not_null())
            .then(
                pl.format(
                    "model {} was sent {} characters at {} and read {} prompt tokens, Ollama's default {}-token window "
                    "(its request set no num_ctx), and a later, longer prompt read no more: the prompts were cut to fit",
                    txt(pl.coalesce("model", "call")),
                    pl.col("prompt_chars"),
                    hms("t"),
                    pl.col("input_tokens"),
                    pl.col("default_window"),
                )
            )
            .when(pl.col("pcut"))
            .then(
                pl.format(
                    "model {} was sent {} prompt tokens at {}, the whole {}-token window its request set (num_ctx): the prompt was cut to fit",
                    txt(pl.coalesce("model", "call")),
                    pl.col("input_tokens"),
                    hms("t"),
                    pl.col("prompt_window"),
                )
            )
            .when(pl.col("full"))
            .then(
                pl.format(
                    "model {} was sent {} prompt tokens at {}, {}% of its {}-token window (limit {}%)",
                    txt(pl.col("model")),
                    pl.col("input_tokens"),
                    hms("t"),
                    (pl.col("input_tokens") * 100 / pl.col("window")).round(0).cast(pl.Int64),
                    pl.col("window"),
                    pl.lit(round(pol.context_fraction * 100)),
                )
            )
            .when(pl.col("tool_cut"))
            .then(
                pl.format(
                    "tool {} returned at {} a model response that stopped because it ran out of output tokens "
                    "(finish reason length), and the cut output was not asked for again",
                    txt(pl.col("call")),
                    hms("t"),
                )
            )
            .when(pl.col("capped"))
            .then(
                pl.format(
                    "model {} stopped at {} after {} output tokens, the whole {}-token cap its request set (max_tokens), so its output was cut",
                    txt(pl.coalesce("model", "call")),
                    hms("t"),
                    pl.col("output_tokens"),
                    pl.col("output_cap"),
                )
            )
            .otherwise(
                pl.format(
                    "model {} stopped at {} because it ran out of output tokens (finish reason length), so its output was cut",
                    txt(pl.coalesce("model", "call")),
                    hms("t"),
                )
            )
        )
        explanation = (
            pl.when(pl.col("n") > 1)
            .then(pl.format("{} ({} such spans in the run)", pl.col("why"), pl.col("n")))
            .otherwise(pl.col("why"))
        )
        # The log saying so (an overflow error, a length finish) is strong; prompt tokens against a
        # table's window is an inference (the provider may count tokens differently).
        # Decisive: where the context went past the window. A request the provider refused for
        # exceeding it (said) is that point; a near-full call before it was accepted and answered
        # (it had not gone past; the agent could still trim or summarise) and stays evidence, after
        # it. With no refusal (an output cut later), the near-full call is where it began.
        refused = pl.col("said").any().over("run_id")
        stated_first = pl.when(pl.col("said") | ~refused).then(pl.col("seq")).otherwise(pl.col("seq") + (1 << 40))
        return per_run_finding(
            hits.with_columns(reason.alias("why"), stated_first.alias("_order")),
            order="_order",
            first=["why"],
            # Prompts pinned at Ollama's default window are read from counts (weak): the log never says so.
            also=[(pl.col("said") | (pl.col("cut") & pl.col("default_window").is_null())).any().alias("stated")],
            explanation=explanation,
            strength=pl.when(pl.col("stated")).then(pl.lit("strong")).otherwise(pl.lit("weak")),
        )
