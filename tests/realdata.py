"""Where the real samples live (../shared beside the repository), for tests that read them."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
#: CI clones the repository with ../shared beside it; developers have it at the same place.
SHARED = REPO.parent / "shared"
FORMATS = SHARED / "formats"
WHO_AND_WHEN = SHARED / "datasets" / "who_and_when_dev"
DATA = Path(__file__).resolve().parent / "data"


def shared_file(relative: str) -> Path:
    """A real sample from ../shared/formats, or skip the test saying what is missing."""
    path = FORMATS / relative
    if not path.exists():
        pytest.skip(f"real sample {path} is not available (../shared is missing beside the repo)")
    return path
