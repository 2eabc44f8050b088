"""The loader registry: entry points, run-time registration, duplicates."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from forensics.errors import InputError
from forensics.loaders import Loader, Sample, Source, SpanSink, get, names, register, unregister

LOADERS_DIR = Path(__file__).resolve().parents[1] / "forensics" / "loaders"
NOT_LOADERS = {"__init__", "base", "registry", "otel_common", "vectorised"}  # vectorised: a fast path of otel-sdk-json


def test_every_loader_module_is_registered_through_the_entry_point_group() -> None:
    modules = {p.stem for p in LOADERS_DIR.glob("*.py")} - NOT_LOADERS
    registered = {get(n).__module__.rsplit(".", 1)[-1] for n in names()}
    missing = modules - registered
    assert not missing, f"loader modules not registered in pyproject's forensics.loaders entry points: {missing}"


def test_names_are_stable_kebab_case_and_documented() -> None:
    for name in names():
        cls = get(name)
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", name), name
        assert cls.name == name
        assert cls.description and cls.sniffs, f"{name} needs a description and what it sniffs"


class _Custom(Loader):
    name = "my-format"
    description = "test"
    sniffs = "test"

    def sniff(self, sample: Sample) -> float:
        return 0.0

    def read(self, source: Source, sink: SpanSink) -> None:
        return None


def test_run_time_registration_and_duplicate_names() -> None:
    register(_Custom)
    try:
        assert "my-format" in names()
        assert get("my-format") is _Custom

        class _Clash(_Custom):
            pass

        with pytest.raises(InputError, match="two loaders are registered as `my-format`"):
            register(_Clash)
    finally:
        unregister("my-format")
    assert "my-format" not in names()


def test_unknown_name_lists_the_known_ones() -> None:
    with pytest.raises(InputError) as err:
        get("nope")
    assert "`otlp-json`" in str(err.value)
