"""The check shared by the sample and generator tests: a log record names no failure class or
detector anywhere (keys or string values), so a detector can never pass by reading an answer."""

from __future__ import annotations

from typing import Any

from forensics.synth.scenario import CLASSES, DETECTOR_CLASS

BANNED = {*DETECTOR_CLASS, *CLASSES}


def assert_names_no_failure(value: Any, where: str) -> None:
    """Walk ``value`` (parsed JSON); fail naming ``where`` at the first key or string that gives
    the answer away (a class or detector name, a key with "failure" or "label" in it)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for k, v in item.items():
                assert k not in BANNED and "failure" not in k.lower() and "label" not in k.lower(), f"{where}: key {k}"
                stack.append(v)
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str):
            assert item not in BANNED and "failure_class" not in item, f"{where}: value {item}"
