"""Altair chart builders for postmortems and the nightly fleet view, and ``save_chart``.

Builders return charts and never display or save; ``save_chart`` is the one function that writes.
"""

from __future__ import annotations

# First, before altair imports jsonschema: see forensics.charts._jsonschema.
import forensics.charts._jsonschema  # noqa: F401
from forensics.charts.export import EXPORTERS, save_chart
from forensics.charts.fleet import (
    class_agent_heatmap,
    class_tool_heatmap,
    class_trend_chart,
    top_detectors_chart,
)
from forensics.charts.notebook import enable_offline_renderer, notebook_bundle
from forensics.charts.session import session_chart
from forensics.charts.timeline import DEFAULT_MAX_BARS, DEFAULT_STALL_SECONDS, timeline_chart

__all__ = [
    "DEFAULT_MAX_BARS",
    "DEFAULT_STALL_SECONDS",
    "EXPORTERS",
    "class_agent_heatmap",
    "class_tool_heatmap",
    "class_trend_chart",
    "enable_offline_renderer",
    "notebook_bundle",
    "save_chart",
    "session_chart",
    "timeline_chart",
    "top_detectors_chart",
]
