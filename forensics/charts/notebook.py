"""Showing charts in JupyterLab without a network: the Vega-Lite mime bundle JupyterLab renders itself.

Altair 6's default renderer loads Vega from a CDN, which an air-gapped incident laptop (and the
browser test) cannot reach; JupyterLab 4 ships its own Vega-Lite 5 renderer for the
``application/vnd.vegalite.v5+json`` mime type. Our specs use nothing Vega-Lite 6 added, so the
bundle hands JupyterLab the same spec under that mime type, with a text fallback for plain consoles.
"""

from __future__ import annotations

from typing import Any, Final

import altair as alt

LAB_MIMETYPE: Final = "application/vnd.vegalite.v5+json"
LAB_SCHEMA: Final = "https://vega.github.io/schema/vega-lite/v5.json"
RENDERER: Final = "forensics-offline"


def notebook_bundle(chart: alt.TopLevelMixin | dict[str, Any]) -> dict[str, Any]:
    """The mime bundle that displays ``chart`` in JupyterLab offline (and as text elsewhere)."""
    spec = chart if isinstance(chart, dict) else chart.to_dict()
    return _bundle(spec)


def _bundle(spec: dict[str, Any], **_: Any) -> dict[str, Any]:
    spec = {**spec, "$schema": LAB_SCHEMA}
    title = spec.get("title")
    text = title.get("text") if isinstance(title, dict) else title
    return {LAB_MIMETYPE: spec, "text/plain": f"<chart: {text or 'untitled'}>"}


def enable_offline_renderer() -> None:
    """Make altair display charts through :func:`notebook_bundle` (call once in a notebook)."""
    if RENDERER not in alt.renderers.names():
        alt.renderers.register(RENDERER, _bundle)
    alt.renderers.enable(RENDERER)
