"""context_overflow: prompts to an Ollama model pinned at its default window while the conversation grew.

Ollama cuts a prompt longer than its context window and answers normally; with no ``num_ctx`` in the
request the window is the server's default (2048 tokens, docs/faq.md; later 4096,
docs/context-length.mdx), so nothing in the request names it. What the log shows is the count Ollama
reports (``prompt_eval_count`` -> LiteLLM ``usage.prompt_tokens`` -> OpenInference
``llm.token_count.prompt``) staying at that window while ``input.value`` keeps growing. The runs are
the smolagents_dev incidents ``smol_ollama_*`` (README, round 3).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from forensics.classify import classify
from forensics.load import load

DEV = Path(__file__).parents[1] / "data" / "incidents" / "smolagents_dev"


def spans(name: str) -> pl.DataFrame:
    return load(DEV / f"{name}.json").to_polars()


def overflow(table: pl.DataFrame) -> pl.DataFrame:
    return classify(table, detectors=["context_overflow"]).to_polars()[0]


def test_prompts_pinned_at_the_default_window_while_the_conversation_grew_were_cut() -> None:
    f = overflow(spans("smol_ollama_prompt_cut_to_num_ctx"))
    assert f.height == 1
    # Steps 3-5's model calls all read 2048 (2041) tokens of prompts of 24k, 39k and 53k characters.
    assert f.get_column("decisive_span_id").to_list() == ["d0ba48072ce02cf4"]
    assert f.get_column("evidence_span_ids").to_list() == [["d0ba48072ce02cf4", "f21f0de4f0beef93", "bdbed637acf39913"]]
    assert f.get_column("strength").to_list() == ["weak"]
    text = f.get_column("explanation").item()
    assert "23956 characters" in text and "read 2048 prompt tokens" in text and "default 2048-token window" in text


def test_near_miss_prompts_under_the_window() -> None:
    assert overflow(spans("smol_ollama_prompt_under_num_ctx")).height == 0


def test_near_miss_counts_growing_through_the_defaults_on_a_larger_window() -> None:
    assert overflow(spans("smol_ollama_large_window_growing")).height == 0


def test_near_miss_the_same_counts_from_a_model_not_served_by_ollama() -> None:
    t = spans("smol_ollama_prompt_cut_to_num_ctx").with_columns(
        pl.when(pl.col("kind") == "llm").then(pl.lit("gpt-4o")).otherwise(pl.col("model")).alias("model")
    )
    assert overflow(t).height == 0


def test_a_request_that_set_num_ctx_is_read_by_its_own_window_not_a_default() -> None:
    # num_ctx=32768 in the request: 2048 is no window of this server; the counts say nothing.
    t = spans("smol_ollama_prompt_cut_to_num_ctx").with_columns(
        pl.when(pl.col("kind") == "llm")
        .then(
            pl.col("attributes").str.replace(
                '"llm.invocation_parameters":"{}"', '"llm.invocation_parameters":"{\\"num_ctx\\": 32768}"', literal=True
            )
        )
        .otherwise(pl.col("attributes"))
        .alias("attributes")
    )
    assert overflow(t).height == 0


def test_the_later_4096_default_is_read_the_same_way() -> None:
    t = spans("smol_ollama_prompt_cut_to_num_ctx")
    t = t.with_columns(
        pl.when(pl.col("input_tokens") >= 2000).then(pl.col("input_tokens") * 2).otherwise(pl.col("input_tokens")).alias("input_tokens")
    )
    f = overflow(t)
    assert f.get_column("decisive_span_id").to_list() == ["d0ba48072ce02cf4"]
    assert "default 4096-token window" in f.get_column("explanation").item()


def _renamed(model: str) -> pl.DataFrame:
    return spans("smol_ollama_prompt_cut_to_num_ctx").with_columns(
        pl.when(pl.col("kind") == "llm").then(pl.lit(model)).otherwise(pl.col("model")).alias("model")
    )


def test_an_ollama_model_through_its_openai_endpoint_is_named_model_colon_tag() -> None:
    # OpenAIServerModel(model_id="qwen2.5-coder:14b", api_base="http://localhost:11434/v1"): no prefix.
    assert overflow(_renamed("qwen2.5-coder:14b")).get_column("decisive_span_id").to_list() == ["d0ba48072ce02cf4"]


def test_near_miss_a_versioned_cloud_model_id_is_no_ollama_tag() -> None:
    assert overflow(_renamed("anthropic.claude-v2:1")).height == 0
