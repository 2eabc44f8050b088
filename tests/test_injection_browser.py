"""Script injection through log content: the HTML report and the explorer widget escape it.

Agent outputs, tool names and tool arguments carry ``<script>`` and ``<img onerror>`` payloads
(plus attribute and element breakouts). The test classifies the spans, writes the report, opens
it in headless Chromium and asserts nothing ran: no dialog, ``window.__pwned`` undefined, no
injected ``img[src=x]``, ``script``, ``svg[onload]`` or event-handler attribute in the DOM, no
request for the injected image. It first checks the payloads did reach the page (escaped), so a
report that silently dropped them cannot pass.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

pytestmark = [pytest.mark.slow, pytest.mark.browser]

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]

SCRIPT = "<script>window.__pwned=1;alert('script')</script>"
IMG = "<img src=x onerror=\"window.__pwned=1;alert('img')\">"
SVG = "<svg onload=\"window.__pwned=1\"></svg>"
BREAKOUT = "\"'><script>window.__pwned=1</script></title></style></textarea>"
PAYLOADS = (SCRIPT, IMG, SVG, BREAKOUT)

#: What the DOM must not contain, and what the page state must be, after load.
PROBE = """() => ({
  pwned: typeof window.__pwned,
  imgs: document.querySelectorAll('img[src="x"]').length,
  injectedScripts: [...document.scripts].filter(s => s.textContent.includes('__pwned')).length,
  handlers: document.querySelectorAll('[onerror],[onload],[onclick],[onmouseover]').length,
  svgOnload: [...document.querySelectorAll('svg')].filter(s => s.hasAttribute('onload')).length,
  text: document.body ? document.body.innerText : '',
})"""


def _chromium_or_skip() -> None:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install -y chromium)")
    pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install playwright)")


def hostile_spans() -> pa.Table:
    """Two runs whose agents, tools, inputs and outputs carry the payloads, shaped so detectors
    fire (a failed tool call swallowed by a run that reports success; a claimed action with no
    matching tool call), so the payloads reach findings, worst runs and timelines."""
    from span_builder import concat, span, spans

    run1 = spans(
        span("a1", 0, 30, kind="agent", name=f"planner {SCRIPT}", agent=f"planner{IMG}"),
        span("t1", 1, 2, parent_id="a1", kind="tool", name=f"send_email{SVG}", tool=f"send_email{SVG}",
             input=f'{{"to": "{BREAKOUT}", "body": "{SCRIPT}"}}', status="error",
             error_type="HTTPError", error_message=f"500 {IMG}"),
        span("l1", 3, 4, parent_id="a1", kind="llm", name="chat", model="gpt-4o",
             output=f"I've sent the email {SCRIPT}{IMG}"),
        run_id=f"run-{BREAKOUT}",
    )
    run2 = spans(
        span("b1", 0, 20, kind="agent", name="support", agent=f"support{SVG}"),
        span("u1", 1, 2, parent_id="b1", kind="tool", name=f"refund{IMG}", tool=f"refund{IMG}",
             input=f'{{"amount": 100, "note": "{SCRIPT}"}}'),
        span("u2", 3, 4, parent_id="b1", kind="llm", name="chat", output=f"Refund issued {BREAKOUT}"),
        run_id="run-2",
    )
    return concat(run1, run2)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    _chromium_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            yield b
        finally:
            b.close()


def open_and_probe(browser: Any, url: str | None = None, html: str | None = None) -> dict[str, Any]:
    """Load a page with every network request outside file:// refused and recorded."""
    page = browser.new_page()
    dialogs: list[str] = []
    requests: list[str] = []

    def on_dialog(d: Any) -> None:
        dialogs.append(d.message)
        d.dismiss()

    page.on("dialog", on_dialog)

    def route(r: Any) -> None:
        requests.append(r.request.url)
        if r.request.url.startswith("file://"):
            r.continue_()
        else:
            r.abort()

    page.route("**/*", route)
    if url is not None:
        page.goto(url, wait_until="load")
    else:
        page.set_content(html or "", wait_until="load")
    page.wait_for_timeout(300)  # let any onerror/onload handler that slipped through fire
    state: dict[str, Any] = page.evaluate(PROBE)
    page.close()
    state["dialogs"] = dialogs
    state["image_requests"] = [u for u in requests if u.rsplit("/", 1)[-1] == "x"]
    return state


def assert_nothing_ran(state: dict[str, Any]) -> None:
    assert state["dialogs"] == []
    assert state["pwned"] == "undefined"
    assert state["imgs"] == 0
    assert state["injectedScripts"] == 0
    assert state["handlers"] == 0
    assert state["svgOnload"] == 0
    assert state["image_requests"] == []


def test_the_harness_detects_execution(browser: Any) -> None:
    """The probe can fail: the same payloads unescaped do run and are reported."""
    state = open_and_probe(browser, html="<html><body>" + "".join(PAYLOADS) + "</body></html>")
    assert state["pwned"] == "number"
    assert state["dialogs"]
    assert state["imgs"] == 1


def test_html_report_escapes_log_content(browser: Any, tmp_path: Path) -> None:
    from forensics.classify import classify
    from forensics.report import write_report

    table = hostile_spans()
    result = classify(table)
    assert result.findings.num_rows > 0, "the hostile runs must produce findings to reach the report"
    written = write_report({"runs": result.runs, "findings": result.findings, "spans": table}, tmp_path / "out")
    page = Path(written["html"])
    source = page.read_text(encoding="utf-8")
    # The payloads reached the report (escaped): it did not just leave them out.
    assert "&lt;script&gt;window.__pwned=1" in source or "&lt;img src=x onerror" in source
    state = open_and_probe(browser, url=page.as_uri())
    assert_nothing_ran(state)
    assert "__pwned" in state["text"]  # shown as text, not run
    # Markdown: renderers pass inline HTML through, so no raw tag may survive there either.
    md = Path(written["markdown"]).read_text(encoding="utf-8")
    for raw in ("<script", "<img", "<svg", "</title>"):
        assert raw not in md.lower()
    # The chart SVGs, parsed: no script or foreign element, no event handler attribute (the
    # payload text may sit escaped inside aria-label, which is only text). Opened on their own
    # in the browser, they run nothing either.
    svgs = [Path(p) for p in written.values() if str(p).endswith(".svg")]
    assert svgs, "the hostile runs should have timelines"
    for svg in svgs:
        assert svg_active_content(svg.read_text(encoding="utf-8")) == [], svg.name
        assert_nothing_ran(open_and_probe(browser, url=svg.as_uri()))


def svg_active_content(svg: str) -> list[str]:
    """Elements and attributes of an SVG document that can run code or load content."""
    import xml.etree.ElementTree as ET  # our own renderer's output, not log text

    found = []
    for el in ET.fromstring(svg).iter():
        tag = el.tag.rsplit("}", 1)[-1].lower()
        if tag in {"script", "foreignobject", "iframe", "object", "embed", "img", "image"}:
            found.append(f"<{tag}>")
        for attr, value in el.attrib.items():
            name = attr.rsplit("}", 1)[-1].lower()
            if name.startswith("on"):
                found.append(f"{tag}@{name}")
            if name == "href" and value.strip().lower().startswith(("javascript:", "data:text/html")):
                found.append(f"{tag}@href={value[:40]}")
    return found


def _widget_html(widget: Any) -> list[str]:
    """Every HTML fragment a widget tree shows (ipywidgets.HTML / HTMLMath values), recursively."""
    import ipywidgets as w

    out: list[str] = []
    seen: set[int] = set()

    def walk(node: Any) -> None:
        if id(node) in seen:
            return
        seen.add(id(node))
        if isinstance(node, w.HTML | w.HTMLMath):
            out.append(node.value)
        for child in getattr(node, "children", ()) or ():
            walk(child)

    walk(widget)
    return out


def _build_explorer(run_explorer: Any, table: pa.Table, result: Any) -> Any:
    """Call ``run_explorer`` with what its signature asks for (spans and/or a classification)."""
    import inspect

    params = inspect.signature(run_explorer).parameters
    kwargs: dict[str, Any] = {}
    positional: list[Any] = []
    for name, p in params.items():
        if p.default is not inspect.Parameter.empty and name not in {"spans", "classification", "result"}:
            continue
        if name in {"spans", "span_table", "table", "load_result"}:
            value: Any = table
        elif name in {"classification", "result", "results", "findings"}:
            value = result if name != "findings" else result.findings
        elif name == "runs":
            value = result.runs
        else:
            continue
        if p.kind is inspect.Parameter.POSITIONAL_ONLY:
            positional.append(value)
        else:
            kwargs[name] = value
    return run_explorer(*positional, **kwargs)


def test_explorer_widget_escapes_log_content(browser: Any, tmp_path: Path) -> None:
    import ipywidgets as w

    from forensics.classify import classify
    from forensics.widgets import run_explorer

    table = hostile_spans()
    result = classify(table)
    widget = _build_explorer(run_explorer, table, result)
    assert isinstance(widget, w.Widget)
    explorer = getattr(widget, "explorer", None)
    fragments = _widget_html(widget)
    charts: list[dict[str, Any]] = []
    run_ids = result.runs.column("run_id").to_pylist()
    if explorer is not None and hasattr(explorer, "show_run"):
        # Pick every run, as a user clicking the run list does.
        for rid in run_ids:
            explorer.show_run(rid)
            fragments += _widget_html(widget)
            charts += _chart_specs(widget)
    else:  # a different explorer: step through the options of its list controls
        for control in _controls(widget):
            for option in list(getattr(control, "options", ()))[:10]:
                try:
                    control.value = option[1] if isinstance(option, tuple) else option
                except Exception:  # an option the control refuses is not ours to test
                    continue
                fragments += _widget_html(widget)
                charts += _chart_specs(widget)
    joined = "\n".join(fragments)
    assert "__pwned" in joined, "the payloads did not reach the explorer's HTML (span table, findings)"
    assert_nothing_ran(open_and_probe(browser, html="<!doctype html><html><body>" + joined + "</body></html>"))

    # The run's timeline as the notebook draws it (Vega-Lite spec rendered to SVG here).
    assert charts, "picking a run should draw its timeline"
    import vl_convert as vlc

    for spec in charts:
        svg = vlc.vegalite_to_svg({k: v for k, v in spec.items() if k != "$schema"})
        assert svg_active_content(svg) == []



def test_chart_html_export_does_not_run_log_content(browser: Any, tmp_path: Path) -> None:
    """The chart export a reviewer opens: standalone HTML with the Vega runtime and the spec
    inline. The spec (payloads as JSON strings) sits inside a <script>, so only an unescaped
    "</script>" can break out; that would run the payload (dialog, window.__pwned)."""
    from forensics.classify import classify
    from forensics.widgets import run_explorer

    table = hostile_spans()
    result = classify(table)
    explorer = getattr(_build_explorer(run_explorer, table, result), "explorer", None)
    assert explorer is not None and hasattr(explorer, "export"), "the explorer has no export() to drive"
    explorer.show_run(result.runs.column("run_id").to_pylist()[0])
    explorer.export_dir.value = str(tmp_path / "exports")
    explorer.export_format.value = "html"
    path = explorer.export()
    assert path is not None and Path(path).exists(), explorer.export_status.value
    assert "__pwned" in Path(path).read_text(encoding="utf-8")  # the payloads are in the file
    state = open_and_probe(browser, url=Path(path).as_uri())
    assert state["dialogs"] == []
    assert state["pwned"] == "undefined"
    assert state["imgs"] == 0 and state["image_requests"] == []


def _chart_specs(widget: Any) -> list[dict[str, Any]]:
    """Vega-Lite specs shown by Output widgets in the tree."""
    import ipywidgets as w

    specs: list[dict[str, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, w.Output):
            for out in node.outputs:
                for mime, data in (out.get("data") or {}).items():
                    if "vegalite" in mime and isinstance(data, dict):
                        specs.append(data)
        for child in getattr(node, "children", ()) or ():
            walk(child)

    walk(widget)
    return specs


def _controls(widget: Any) -> list[Any]:
    import ipywidgets as w

    found: list[Any] = []

    def walk(node: Any) -> None:
        if isinstance(node, w.Dropdown | w.Select | w.SelectMultiple | w.ToggleButtons | w.RadioButtons):
            found.append(node)
        for child in getattr(node, "children", ()) or ():
            walk(child)

    walk(widget)
    return found


def test_chromium_is_the_debian_one() -> None:
    """Playwright drives Debian's chromium (no browser download); CI installs it with apt."""
    if shutil.which("chromium") is None and not Path(CHROMIUM).exists():
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    assert Path(CHROMIUM).exists()


def test_svg_check_finds_active_content() -> None:
    bad = ('<svg xmlns="http://www.w3.org/2000/svg" onload="x()"><script>1</script>'
           '<a href="javascript:alert(1)"><text>t</text></a><foreignObject/></svg>')
    assert svg_active_content(bad) == ["svg@onload", "<script>", "a@href=javascript:alert(1)", "<foreignobject>"]
    ok = '<svg xmlns="http://www.w3.org/2000/svg"><path aria-label="&lt;img src=x onerror=&quot;1&quot;&gt;"/></svg>'
    assert svg_active_content(ok) == []


def test_notebook_reprs_escape_file_names_and_reasons(browser: Any, tmp_path: Path) -> None:
    """What a notebook shows for a LoadResult and a Classification: the file name is the
    sender's choice, and quarantine reasons quote records."""
    from forensics.classify import classify
    from forensics.load import load

    hostile_dir = tmp_path / IMG.replace("/", "_")
    hostile_dir.mkdir()
    log = hostile_dir / f"{SCRIPT.replace('/', '_')}.jsonl"
    log.write_text(
        '{"trace_id": "0af7651916cd43dd8448eb211c80319c", "span_id": "00f067aa0ba902b7", "name": "'
        + SCRIPT.replace('"', '\\"') + '", "start_time": 1732166695000}\n'
        + '{"broken json ' + IMG + "\n"
    )
    result = load([log], format="jsonl")
    assert result.report.quarantined == 1
    fragments = [result._repr_html_(), result.report._repr_html_(), classify(result.spans)._repr_html_()]
    assert any("&lt;script&gt;" in f for f in fragments), "the hostile file name should be shown, escaped"
    assert_nothing_ran(open_and_probe(browser, html="<!doctype html><html><body>" + "".join(fragments) + "</body></html>"))
