"""``import genai_base`` stays light: no plugin, no YAML parser, nothing only some users need."""

from __future__ import annotations

import json
import subprocess
import sys

import genai_base


def _modules_after_import() -> list[str]:
    code = "import sys, json, genai_base; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return list(json.loads(out.stdout))


def test_import_loads_no_plugin_yaml_or_optional_stacks() -> None:
    loaded = set(_modules_after_import())
    for heavy in ("yaml", "aiohttp", "marshmallow", "dependency_injector", "msgpack", "opentelemetry"):
        assert heavy not in loaded, f"import genai_base imported {heavy}"
    assert not [m for m in loaded if m.startswith("genai_base_")], "a plugin module was imported"


def test_lazy_names_resolve_and_are_listed() -> None:
    for name in ("AsyncAPIClient", "ClientContainer", "Model", "Field", "ModelValidationError", "load_as"):
        assert getattr(genai_base, name).__name__ == name
        assert name in dir(genai_base)
        assert name in genai_base.__all__


def test_unknown_attribute_is_an_attribute_error() -> None:
    try:
        genai_base.NoSuchThing  # type: ignore[attr-defined]  # noqa: B018
    except AttributeError as exc:
        assert "NoSuchThing" in str(exc)
    else:
        raise AssertionError("expected AttributeError")
