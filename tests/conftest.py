"""Shared fixtures. Plain helpers live in importable modules (realdata.py, span_builder.py, pg.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from realdata import FORMATS

# Hypothesis' too_slow health check times the data generation itself: on a busy shared machine
# (eight test sessions on two cores) it fails tests whose properties hold, which is noise, not a
# finding. Every other health check stays on; the per-test @settings keep their example counts.
settings.register_profile("forensics", suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("forensics")


@pytest.fixture
def formats_dir() -> Path:
    if not FORMATS.exists():
        pytest.skip(f"{FORMATS} is not available (../shared is missing beside the repo)")
    return FORMATS
