"""Shared fixtures. Plain helpers live in importable modules (realdata.py, span_builder.py, pg.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from realdata import FORMATS


@pytest.fixture
def formats_dir() -> Path:
    if not FORMATS.exists():
        pytest.skip(f"{FORMATS} is not available (../shared is missing beside the repo)")
    return FORMATS
