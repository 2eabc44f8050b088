"""A Langfuse v2 agent that created the same help-center article twice, its calls plain SPANs.

langfuse/langfuse-python v2 has no tool observation type: the low-level client's
``StatefulClient.span(name=..., input=..., output=...)`` (``langfuse/client.py``) and the
``@observe()`` decorator (``langfuse/decorators/langfuse_decorator.py``) record a function the
agent called as a SPAN named by it, exported as ``{trace, observations}``. The curator created the
article, searched the help center for it (the search index refreshes asynchronously: Zendesk's Help
Center search, Elasticsearch's ``index.refresh_interval``, shows a new article only after the next
refresh), found nothing, and created it again: two public copies. Decisive: the second create.

Near misses: a second create of another article; a create whose answer returns the article already
there (``"created": false`` beside its id); a create step the program wrapped around its own
low-level span of the same create (the container is not the action: one article); two send steps
that recorded no input (not the same call: nothing is not the same as nothing).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl

import forensics

_TRACE = "e0e0e0e0-0000-4000-8000-000000000001"
_ARTICLE = {"title": "Rotating your workspace SSO certificate", "section_id": 3600044, "locale": "en-us",
            "body_md": "1. Go to Admin > Security > SSO.", "draft": False}


def _id(n: int) -> str:
    return f"e0e0e0e0-0000-4000-8000-{n:012d}"


def _obs(n: int, name: str, second: int, input_: Any, output: Any, *, type_: str = "SPAN", parent: int | None = None) -> dict[str, Any]:
    return {"id": _id(n), "traceId": _TRACE, "parentObservationId": _id(parent) if parent is not None else None,
            "type": type_, "name": name, "startTime": f"2026-11-24T13:22:{second:02d}.000Z",
            "endTime": f"2026-11-24T13:22:{second:02d}.800Z", "metadata": "{}", "input": input_, "output": output,
            "level": "DEFAULT", "statusMessage": None}


def _search(n: int, second: int) -> dict[str, Any]:
    return _obs(n, "search_articles", second, {"query": "rotate SSO certificate", "locale": "en-us"},
                {"hits": [], "total": 0, "took_ms": 5})


def _create(n: int, second: int, article: dict[str, Any], out: dict[str, Any], parent: int | None = None) -> dict[str, Any]:
    return _obs(n, "create_article", second, article, out, parent=parent)


def _model(n: int, second: int, said: str) -> dict[str, Any]:
    return _obs(n, "ChatOpenAI", second, None, said, type_="GENERATION")


def _findings(tmp_path: Path, *observations: dict[str, Any]) -> list[dict[str, Any]]:
    trace = {"id": _TRACE, "name": "kb-curator", "timestamp": "2026-11-24T13:22:00.000Z",
             "input": "SSO cert rotation article", "output": "Published the article.", "metadata": "{}",
             "sessionId": "kb-sync-2026-11-24"}
    path = tmp_path / "kb.langfuse.json"
    path.write_text(json.dumps({"trace": trace, "observations": list(observations)}))
    loaded = forensics.load(path)
    assert loaded.report.files[0].format == "langfuse"
    found = pl.DataFrame(pl.from_arrow(forensics.classify(loaded.spans).findings)).to_dicts()
    return [f for f in found if f["detector"] == "duplicate_side_effect"]


def _curator(second_article: dict[str, Any], second_out: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        _model(1, 0, "search_articles(query='rotate SSO certificate')"),
        _search(2, 2),
        _create(3, 3, _ARTICLE, {"article": {"id": 41877203311, "html_url": "https://help.acme.io/hc/articles/41877203311"}}),
        _model(4, 4, "verify with search_articles"),
        _search(5, 5),
        _model(6, 6, "still not found"),
        _search(7, 7),
        _model(8, 8, "still not found"),
        _create(9, 9, second_article, second_out),
        _model(10, 10, "Published the article."),
    ]


def test_the_same_article_created_again_after_the_search_found_nothing_fires(tmp_path: Path) -> None:
    again = {"article": {"id": 41877219560, "html_url": "https://help.acme.io/hc/articles/41877219560"}}
    (hit,) = _findings(tmp_path, *_curator(_ARTICLE, again))
    assert hit["decisive_span_id"] == _id(9)  # the second create
    assert hit["evidence_span_ids"] == [_id(3), _id(9)]
    assert "side-effecting step create_article succeeded at 13:22:03 and again" in hit["explanation"]


def test_near_miss_another_article_created_second(tmp_path: Path) -> None:
    other = {**_ARTICLE, "title": "Rotating your SCIM token"}
    assert _findings(tmp_path, *_curator(other, {"article": {"id": 41877219561}})) == []


def test_near_miss_the_second_create_returned_the_article_already_there(tmp_path: Path) -> None:
    existing = {"created": False, "id": 41877203311, "html_url": "https://help.acme.io/hc/articles/41877203311"}
    assert _findings(tmp_path, *_curator(_ARTICLE, existing)) == []


def test_near_miss_a_create_step_around_its_own_span_of_the_create_is_one_article(tmp_path: Path) -> None:
    out = {"article": {"id": 41877203311}}
    outer = _create(3, 3, _ARTICLE, out)
    inner = _create(4, 3, _ARTICLE, out, parent=3)
    assert _findings(tmp_path, _model(1, 0, "create_article(...)"), outer, inner, _model(5, 5, "Published.")) == []


def test_near_miss_two_send_steps_that_recorded_no_input_are_not_the_same_call(tmp_path: Path) -> None:
    # A framework's messaging span records no content (Microsoft Agent Framework's message.send:
    # agent_framework/observability.py MESSAGE_SEND_SPAN): nothing is not the same as nothing.
    sent = [_obs(2, "message.send", 2, None, None), _obs(3, "message.send", 4, None, None)]
    assert _findings(tmp_path, _model(1, 0, "notify"), *sent, _model(4, 6, "Done.")) == []
