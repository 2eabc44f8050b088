"""The loader registry: entry points, run-time registration, duplicates."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from forensics.errors import InputError
from forensics.loaders import Loader, Sample, Source, SpanSink, get, names, register, unregister

LOADERS_DIR = Path(__file__).resolve().parents[1] / "forensics" / "loaders"
NOT_LOADERS = {"__init__", "base", "registry", "otel_common", "vectorised"}  # vectorised: a fast path of otel-sdk-json


def _defines_a_loader(stem: str) -> bool:
    import importlib
    import inspect

    module = importlib.import_module(f"forensics.loaders.{stem}")
    return any(issubclass(c, Loader) and c is not Loader and c.__module__ == module.__name__ and getattr(c, "name", "")
               for _, c in inspect.getmembers(module, inspect.isclass))


def test_every_loader_module_is_registered() -> None:
    # A module that defines a named Loader is a format (registered by discovery, no list to edit);
    # the shared plumbing (base, framing, ...) is not.
    modules = {p.stem for p in LOADERS_DIR.glob("*.py") if _defines_a_loader(p.stem)} - NOT_LOADERS
    assert len(modules) >= 12
    registered = {get(n).__module__.rsplit(".", 1)[-1] for n in names()}
    missing = modules - registered
    assert not missing, f"loader modules not registered: {missing}"


def test_the_pyproject_entry_points_name_the_same_loaders() -> None:
    # Installed metadata (what a plugin-aware tool lists) agrees with what discovery registers.
    import tomllib

    declared = tomllib.loads((LOADERS_DIR.parents[1] / "pyproject.toml").read_text())["project"]["entry-points"]
    for name, target in declared["forensics.loaders"].items():
        module, _, cls = target.partition(":")
        assert f"{get(name).__module__}:{get(name).__qualname__}" == target, name


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


# --- the one Registry type (forensics.registry) with real entry points --------------------------------

import sys  # noqa: E402
import warnings  # noqa: E402

from forensics.detectors.registry import DETECTORS, DetectorRegistryError  # noqa: E402
from forensics.detectors.registry import _check as detector_check  # noqa: E402
from forensics.detectors.registry import _import_builtins as import_builtin_detectors  # noqa: E402
from forensics.registry import Registry, is_subclass_of  # noqa: E402

PLUGIN_GROUP = "forensics.test-plugins"


def _install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dist: str, group: str,
             entries: dict[str, str], modules: dict[str, str]) -> None:
    """A real installed distribution: ``<dist>-1.0.dist-info`` with entry_points.txt, on sys.path."""
    info = tmp_path / f"{dist}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n")
    lines = [f"[{group}]", *(f"{name} = {target}" for name, target in entries.items())]
    (info / "entry_points.txt").write_text("\n".join(lines) + "\n")
    for module, source in modules.items():
        (tmp_path / f"{module}.py").write_text(source)
    monkeypatch.syspath_prepend(str(tmp_path))
    for module in modules:
        sys.modules.pop(module, None)


class Widget:
    name = ""


def _widget_registry(**kw: object) -> Registry[type[Widget]]:
    return Registry("widget", PLUGIN_GROUP, check=is_subclass_of(Widget), **kw)  # type: ignore[arg-type]


def test_entry_points_register_good_plugins_and_skip_broken_ones(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _install(tmp_path, monkeypatch, "widgets_plugin", PLUGIN_GROUP,
             {"good": "fx_good:Good", "broken": "fx_broken:Broken", "wrong": "fx_good:NOT_A_WIDGET",
              "misnamed": "fx_good:Misnamed"},
             {"fx_good": "from test_registry import Widget\n"
                         "class Good(Widget):\n    name = 'good'\n"
                         "class Misnamed(Widget):\n    name = 'other'\n"
                         "NOT_A_WIDGET = 42\n",
              "fx_broken": "import no_such_module_anywhere  # noqa\n"})
    reg = _widget_registry()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert reg.names() == ["good"]  # start-up survives all three bad entries
    shown = "\n".join(str(w.message) for w in caught)
    assert "widget `broken` (fx_broken:Broken) failed to import: ModuleNotFoundError" in shown
    assert "widget `wrong` (fx_good:NOT_A_WIDGET) is not usable: is not a Widget subclass (found int 42)" in shown
    assert "make the entry-point name equal the widget's `name`" in shown
    assert set(reg.problems()) == {"broken", "wrong", "misnamed"}
    assert reg.get("good").__module__ == "fx_good"
    assert reg.owner("good") == "fx_good:Good"
    with pytest.raises(InputError) as err:
        reg.get("broken")
    text = str(err.value)
    assert "no widget named `broken` (it is installed but was skipped: fx_broken:Broken: ModuleNotFoundError" in text
    assert "Hint: use one of: `good`" in text


def test_duplicate_names_fail_naming_both_owners(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _install(tmp_path, monkeypatch, "dup_plugin", PLUGIN_GROUP, {"good": "fx_dup:Good"},
             {"fx_dup": "from test_registry import Widget\nclass Good(Widget):\n    name = 'good'\n"})
    reg = _widget_registry()
    assert reg.names() == ["good"]

    class Good(Widget):
        name = "good"

    with pytest.raises(InputError) as err:
        reg.register(Good)
    text = str(err.value)
    assert "two widgets are registered as `good`: fx_dup:Good and " in text
    assert "test_duplicate_names_fail_naming_both_owners.<locals>.Good" in text
    assert "Hint: rename one of them" in text
    reg.register(reg.get("good"))  # the same object again is no clash


def test_run_time_register_unregister_and_stable_order() -> None:
    by_name = Registry("thing", None, name_of=lambda f: f.__name__)
    by_order = Registry("thing", None, name_of=lambda f: f.__name__, order="registration")

    def zeta() -> None: ...
    def alpha() -> None: ...

    for reg in (by_name, by_order):
        reg.register(zeta)
        reg.register(alpha)
    assert by_name.names() == ["alpha", "zeta"] == list(by_name) and by_name.values() == [alpha, zeta]
    assert by_name["zeta"] is zeta
    assert by_order.names() == ["zeta", "alpha"]
    assert "alpha" in by_name and len(by_name) == 2
    by_name.unregister("alpha")
    assert by_name.names() == ["zeta"]
    with pytest.raises(InputError, match=r"no thing named `alpha`\nHint: use one of: `zeta`"):
        by_name.get("alpha")


def test_a_broken_third_party_detector_is_skipped_with_a_warning(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    builtins = DETECTORS.values()  # discovered before the plugins below exist: the real registry stays as shipped
    _install(tmp_path, monkeypatch, "detector_plugins", "forensics.detectors",
             {"slow_tool": "fx_detectors:SlowTool", "crashes": "fx_crashing_detector",
              "bad_scope": "fx_detectors:BadScope"},
             {"fx_detectors": "from forensics.detectors import Detector\n"
                              "class SlowTool(Detector):\n    name = 'fx_slow_tool'\n"
                              "    failure_class = 'missing_fallback'\n    scope = 'run'\n    severity = 'low'\n"
                              "    description = 'a tool call slower than the plugin allows'\n"
                              "class BadScope(SlowTool):\n    name = 'fx_bad_scope'\n    scope = 'trace'\n",
              "fx_crashing_detector": "raise RuntimeError('plugin bug at import')\n"})
    # A fresh registry built exactly like DETECTORS (whose discovery already ran in this process).
    reg = Registry("detector", "forensics.detectors", check=detector_check, error=DetectorRegistryError,
                   builtins=import_builtin_detectors, entry_point_is_name=False)
    for cls in builtins:  # the built-ins registered into DETECTORS on their first import
        reg.register(cls)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        found = reg.names()
    assert set(found) == set(DETECTORS.names()) | {"fx_slow_tool"}
    assert "fx_slow_tool" not in DETECTORS
    assert "fx_bad_scope" not in found
    shown = "\n".join(str(w.message) for w in caught)
    assert "detector `crashes` (fx_crashing_detector) failed to import: RuntimeError: plugin bug at import" in shown
    assert "detector `bad_scope` (fx_detectors:BadScope) is not usable: has `scope` 'trace'" in shown


def test_builtin_detector_modules_are_discovered_not_listed() -> None:
    from forensics.detectors.registry import builtin_modules

    modules = builtin_modules()
    assert "forensics.detectors.missing_fallback" in modules and "forensics.detectors.claims" in modules
    assert "forensics.detectors.base" not in modules
    owners = {DETECTORS.get(n).__module__ for n in DETECTORS.names()}
    assert owners <= set(modules)


def test_engines_are_functions_named_by_their_entry_point(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from forensics.nightly.engines import ENGINES

    assert ENGINES.names() == ["local", "spark"]  # discovered before the plugin exists
    _install(tmp_path, monkeypatch, "engine_plugin", "forensics.test-engines",
             {"ray": "fx_engine:classify_on_ray"}, {"fx_engine": "def classify_on_ray(*args):\n    return args\n"})
    reg: Registry[object] = Registry("classification engine", "forensics.test-engines", named_by_entry_point=True)
    assert reg.names() == ["ray"]
    assert reg.owner("ray") == "fx_engine:classify_on_ray"


def test_a_duplicate_convention_names_both_modules() -> None:
    from forensics.conventions import CONVENTIONS
    from forensics.conventions.registry import REGISTRY, Convention, register

    before, names = list(CONVENTIONS), REGISTRY.names()
    with pytest.raises(InputError) as err:
        register(Convention(name="pauses", signals=()))
    assert "two conventions are registered as `pauses`: forensics.conventions.pauses and test_registry" in str(err.value)
    # Nothing half-registered: the same conventions, in the same order (not a first name pinned,
    # which moved when approvals_given was added before attempt_groups).
    assert CONVENTIONS == before and REGISTRY.names() == names
