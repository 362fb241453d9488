"""genai_base.models is layered: each module imports only the layers above it, at module level."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import genai_base.models

PACKAGE = Path(genai_base.models.__file__).parent


def _layers() -> list[str]:
    """The layer order as the package docstring's table lists it."""
    doc = genai_base.models.__doc__ or ""
    return re.findall(r"^``(_\w+)``", doc, flags=re.MULTILINE)


def _sibling_imports(tree: ast.Module) -> list[tuple[str, int]]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                found.append((node.module.split(".")[0], node.lineno))
            else:
                found.extend((alias.name, node.lineno) for alias in node.names)
    return found


def test_every_module_is_a_listed_layer() -> None:
    modules = sorted(p.stem for p in PACKAGE.glob("_*.py") if p.stem != "__init__")
    assert sorted(_layers()) == modules


def test_modules_import_only_the_layers_above_them() -> None:
    order = {name: i for i, name in enumerate(_layers())}
    for name, rank in order.items():
        tree = ast.parse((PACKAGE / f"{name}.py").read_text())
        for imported, line in _sibling_imports(tree):  # TYPE_CHECKING imports included
            assert imported in order, f"{name}.py:{line} imports {imported}, not a layer"
            assert order[imported] < rank, f"{name}.py:{line} imports {imported}, a layer below it"


def test_no_function_level_imports() -> None:
    for path in PACKAGE.glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                inner = [n for n in ast.walk(node) if isinstance(n, (ast.Import, ast.ImportFrom))]
                assert not inner, f"{path.name}:{inner[0].lineno} imports inside {node.name}()"


def test_the_marshmallow_free_layers_stay_free_of_it() -> None:
    code = (
        "import sys, json; from genai_base.models import Field, ModelValidationError, to_jsonable; "
        "to_jsonable({'a': [1]}); print(json.dumps(sorted(sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(json.loads(out.stdout))
    assert "marshmallow" not in loaded
    assert "genai_base.models._schema" not in loaded
    # Model (and with it marshmallow) comes on first use.
    code = "import sys; from genai_base.models import Model; print('marshmallow' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"
