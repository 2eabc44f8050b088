"""``save_chart``: a chart to PNG, SVG or standalone HTML for an incident review, without a browser.

vl-convert renders the Vega-Lite spec in-process; the HTML bundles the Vega JavaScript so the file
opens offline. The title, run id and policy version are written onto the image itself, so a
screenshot pasted into a review document still says what it shows and which policy produced it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final

import altair as alt

from forensics.errors import InputError, InternalError


def _png(spec: dict[str, Any], path: Path, scale: float) -> None:
    import vl_convert as vlc

    path.write_bytes(vlc.vegalite_to_png(spec, scale=scale))


def _svg(spec: dict[str, Any], path: Path, scale: float) -> None:
    import vl_convert as vlc

    path.write_text(vlc.vegalite_to_svg(spec), encoding="utf-8")


_SPEC_START = "const spec = "
_SPEC_END = ";\n    const opts"


def _html(spec: dict[str, Any], path: Path, scale: float) -> None:
    import vl_convert as vlc

    # vegalite_to_html writes the spec, log text included, unescaped inside <script>: a span named
    # "</script><script>..." would run in the reviewer's browser. So render the page around a stub
    # spec and put ours in as JSON with <, > and & escaped, which no HTML parser can break out of.
    page = vlc.vegalite_to_html({"mark": "point"}, bundle=True)
    start = page.find(_SPEC_START)
    end = page.find(_SPEC_END, start)
    if start < 0 or end < 0:
        raise InternalError(
            "the installed vl-convert writes HTML in a shape save_chart does not recognise",
            hint="export PNG or SVG instead, and report the vl-convert version",
        )
    path.write_text(page[: start + len(_SPEC_START)] + script_safe_json(spec) + page[end:], encoding="utf-8")


def script_safe_json(value: Any) -> str:
    """JSON text that is safe inside an HTML ``<script>`` element."""
    text = json.dumps(value, ensure_ascii=False)
    for raw, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(raw, escaped)
    return text


#: Output format by file suffix.
EXPORTERS: Final[dict[str, Callable[[dict[str, Any], Path, float], None]]] = {
    ".png": _png,
    ".svg": _svg,
    ".html": _html,
}


def save_chart(
    chart: alt.TopLevelMixin,
    path: str | Path,
    *,
    title: str | None = None,
    run_id: str | None = None,
    policy_version: str | None = None,
    redacted: bool | None = None,
    redaction_policy: Any = None,
    scale: float = 2.0,
    validate: bool = True,
) -> Path:
    """Write ``chart`` to ``path`` (``.png``, ``.svg`` or ``.html``, by suffix) and return the path.

    ``title``, ``run_id`` and ``policy_version`` default to what the chart builder recorded (a
    timeline knows its run and the findings' policy); ``redacted`` adds the line of
    :func:`forensics.redact.redaction_banner` (``redaction_policy``: a ``RedactionPolicy``, a TOML
    path or None for the defaults) saying whether log content on the image was redacted, so a
    screenshot pasted elsewhere still says it. It only states what the caller did: the chart's data
    must already be redacted (``redact_frame``). ``None`` says nothing (a notebook user exporting a
    chart of their own); the CLI and the report always pass True or False. ``scale`` multiplies
    PNG pixel dimensions. ``validate=False`` skips checking the spec against the Vega-Lite JSON
    schema (jsonschema, most of a small chart's export time): for charts of ours whose builders
    the tests render (the report's); a chart of the caller's own is checked.
    """
    target = Path(path)
    exporter = EXPORTERS.get(target.suffix.lower())
    if exporter is None:
        raise InputError(
            f"cannot export a chart to `{target.suffix or '(no suffix)'}`",
            where=str(target),
            hint=f"use one of {', '.join(f'`{s}`' for s in EXPORTERS)} as the file suffix.",
        )
    if not target.parent.exists():
        raise InputError(
            "the folder to write the chart into does not exist",
            where=str(target),
            hint=f"create `{target.parent}` first (e.g. `Path(...).mkdir(parents=True)`).",
        )
    spec = chart.to_dict(validate=validate)
    meta = (spec.get("usermeta") or {}).get("forensics", {})
    run_id = run_id if run_id is not None else meta.get("run_id")
    policy_version = policy_version if policy_version is not None else meta.get("policy_version")
    banner = None
    if redacted is not None:
        from forensics.redact import redaction_banner

        banner = redaction_banner(redacted, redaction_policy)
    spec["title"] = _title(spec.get("title"), title, run_id, policy_version, banner)
    exporter(spec, target, scale)
    return target


def _title(existing: Any, title: str | None, run_id: str | None, policy: str | None, banner: str | None) -> dict[str, Any]:
    if isinstance(existing, dict):
        text, subtitle = existing.get("text", ""), existing.get("subtitle") or []
    else:
        text, subtitle = existing or "", []
    subtitle = [subtitle] if isinstance(subtitle, str) else list(subtitle)
    text = title or text or "agent-forensics"
    extra = []
    if run_id and not any(run_id in str(s) for s in [text, *subtitle]):
        extra.append(f"run {run_id}")
    if policy and not any(policy in str(s) for s in subtitle):
        extra.append(f"policy {policy}")
    if banner is not None:
        extra.append(banner)
    return {"text": text, "subtitle": [*extra, *subtitle], "anchor": "start"}
