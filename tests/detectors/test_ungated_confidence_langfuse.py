"""A Langfuse v2 dedupe job that merged two contacts its matcher was unsure were one person.

langfuse/langfuse-python v2 ``langfuse/decorators/langfuse_decorator.py``: ``@observe()`` records each
decorated function as a SPAN observation named by the function, its input
``_get_input_from_func_args`` (``{"args": [...], "kwargs": {...}}``), its output the return value, and
``langfuse_context.update_current_observation(metadata=...)`` as the observation's metadata; v2 has
no TOOL type, so the merge is a SPAN like the matcher, exported as ``{trace, observations}``.

The bar is the job's own: the matcher's configured ``match_threshold`` (0.85), in its metadata or
passed in its keyword arguments; 0.62 is above the policy's default gate and below it. Near misses:
a sure match (0.93) merged the same way; an unsure match of two other contacts before a merge of
the pair matched for sure.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl

import forensics

_TRACE = "d3d3d3d3-0000-4000-8000-000000000001"


def _obs(n: int, parent: int | None, name: str, second: int, input_: Any, output: Any, metadata: Any = None) -> dict[str, Any]:
    return {"id": f"d3d3d3d3-0000-4000-8000-{n:012d}", "traceId": _TRACE,
            "parentObservationId": f"d3d3d3d3-0000-4000-8000-{parent:012d}" if parent is not None else None,
            "type": "SPAN", "name": name, "startTime": f"2024-09-12T07:30:{second:02d}.000Z",
            "endTime": f"2024-09-12T07:30:{second + 1:02d}.000Z", "metadata": metadata, "input": input_, "output": output,
            "level": "DEFAULT", "statusMessage": None}


def _score(n: int, second: int, left: str, right: str, level: float, *, bar_in: str) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"left_id": left, "right_id": right}
    metadata = None
    if bar_in == "kwargs":
        kwargs["match_threshold"] = 0.85
    else:
        metadata = {"model": "splink-v3", "match_threshold": 0.85}
    return _obs(n, 1, "score_pair", second, {"args": [], "kwargs": kwargs},
                {"left_id": left, "right_id": right, "same_person": True, "confidence": level}, metadata)


def _merge(n: int, second: int, keep: str, drop: str) -> dict[str, Any]:
    return _obs(n, 1, "merge_contacts", second, {"args": [], "kwargs": {"keep_id": keep, "drop_id": drop}},
                {"merged": True, "kept": keep})


def _findings(tmp_path: Path, *observations: dict[str, Any]) -> list[dict[str, Any]]:
    job = _obs(1, None, "dedupe_batch", 0, {"args": [], "kwargs": {"batch": "b_44"}}, {"merged": 1})
    trace = {"id": _TRACE, "name": "dedupe_batch", "timestamp": "2024-09-12T07:30:00.000Z",
             "input": {"args": [], "kwargs": {"batch": "b_44"}}, "output": {"merged": 1}, "metadata": None, "sessionId": None}
    path = tmp_path / "dedupe.json"
    path.write_text(json.dumps({"trace": trace, "observations": [job, *observations]}))
    loaded = forensics.load(path)
    assert loaded.report.files[0].format == "langfuse"
    return pl.DataFrame(pl.from_arrow(forensics.classify(loaded.spans).findings)).to_dicts()


def _ungated(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [f for f in found if f["detector"] == "ungated_low_confidence"]


def test_a_merge_after_a_match_below_the_jobs_own_threshold_fires(tmp_path: Path) -> None:
    for bar_in in ("metadata", "kwargs"):
        found = _findings(tmp_path, _score(2, 1, "c_101", "c_207", 0.62, bar_in=bar_in), _merge(3, 3, "c_101", "c_207"))
        (hit,) = _ungated(found)
        assert hit["decisive_span_id"] == "d3d3d3d3-0000-4000-8000-000000000003", bar_in  # the merge
        assert hit["evidence_span_ids"] == ["d3d3d3d3-0000-4000-8000-000000000002", "d3d3d3d3-0000-4000-8000-000000000003"]
        assert "confidence 0.62 (gate 0.85)" in hit["explanation"], bar_in


def test_near_miss_a_sure_match_merged_the_same_way(tmp_path: Path) -> None:
    found = _findings(tmp_path, _score(2, 1, "c_101", "c_207", 0.93, bar_in="metadata"), _merge(3, 3, "c_101", "c_207"))
    assert _ungated(found) == []


def test_near_miss_the_unsure_match_was_of_two_other_contacts(tmp_path: Path) -> None:
    found = _findings(tmp_path, _score(2, 1, "c_555", "c_556", 0.41, bar_in="metadata"),
                      _score(3, 3, "c_101", "c_207", 0.97, bar_in="metadata"), _merge(4, 5, "c_101", "c_207"))
    assert _ungated(found) == []
