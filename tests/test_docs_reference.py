"""The API reference (docs/api.rst) covers every public name, each with a docstring and a typed signature.

docs/api.rst is the one list: a name added to ``genai_base.__all__`` (or
``genai_base.testing.__all__``) fails here until a line such as
``.. autoclass:: genai_base.NewName`` is added to the section it belongs to.
Classes are documented with ``:members:``, so every public method,
property and field must have a docstring (autodoc silently drops those
without one), and a signature whose parameters and result are annotated.
"""

from __future__ import annotations

import ast
import dataclasses
import inspect
import re
import subprocess
import sys
import textwrap
import types
from pathlib import Path
from typing import Any, Iterator

import pytest
from sphinx.pycode import ModuleAnalyzer
from sphinx.util.inventory import InventoryFile

import genai_base
import genai_base.testing

DOCS = Path(__file__).resolve().parent.parent / "docs"
API = DOCS / "api.rst"
PACKAGES = (genai_base, genai_base.testing)

# ".. autoclass:: genai_base.Name" and the other auto directives, or a hand-written ".. data:: genai_base.Name".
_DIRECTIVE = re.compile(
    r"^\s*\.\. (?:py:)?(auto\w+|class|function|data|exception|attribute)::\s+(genai_base[\w.]*)(?:\(.*\))?\s*$",
    re.M,
)
# Names other than the packages' __all__ that the reference may document.
ALSO_DOCUMENTED = {"genai_base.cli.main"}
# Members every class has, or that only implement a protocol of Python's own (documented there).
_SKIPPED_MEMBERS = {"with_traceback", "add_note", "args"}


def documented() -> dict[str, str]:
    """Every name api.rst documents, with its directive."""
    return {name: kind for kind, name in _DIRECTIVE.findall(API.read_text(encoding="utf-8"))}


def public_names() -> list[str]:
    return [f"{package.__name__}.{name}" for package in PACKAGES for name in package.__all__]


def resolve(full_name: str) -> Any:
    module_name, _, name = full_name.rpartition(".")
    module = sys.modules.get(module_name) or __import__(module_name, fromlist=[name])
    return getattr(module, name)


def test_every_public_name_is_in_the_reference() -> None:
    names = documented()
    missing = [name for name in public_names() if name not in names]
    assert not missing, (
        "public names missing from docs/api.rst; add each to its section, e.g. "
        f"'.. autoclass:: {missing[0]}' (autofunction, autodata or autoexception as fits): {missing}"
    )


def test_the_reference_documents_only_public_names() -> None:
    extra = sorted(set(documented()) - set(public_names()) - ALSO_DOCUMENTED)
    assert not extra, f"docs/api.rst documents names that are not exported (in no __all__): {extra}"


def _documented_objects() -> Iterator[tuple[str, Any]]:
    for name, kind in documented().items():
        if kind in ("autodata", "data"):  # constants: their text is in api.rst or a #: comment
            continue
        yield name, resolve(name)


def test_every_documented_name_has_a_docstring() -> None:
    undocumented = [name for name, obj in _documented_objects() if not (obj.__doc__ or "").strip()]
    assert not undocumented, f"give these a docstring: {undocumented}"


def _source_names(klass: type) -> list[str]:
    """The names ``klass``'s own source defines: methods, class attributes, and ``self.x = ...`` in ``__init__``."""
    try:
        source = textwrap.dedent(inspect.getsource(klass))
    except (OSError, TypeError):
        return []
    node = ast.parse(source).body[0]
    assert isinstance(node, ast.ClassDef)
    names: list[str] = []
    for item in node.body:
        if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
            names.append(item.name)
            if item.name == "__init__":
                for sub in ast.walk(item):
                    targets = sub.targets if isinstance(sub, ast.Assign) else (
                        [sub.target] if isinstance(sub, ast.AnnAssign) else [])
                    names.extend(t.attr for t in targets if isinstance(t, ast.Attribute)
                                 and isinstance(t.value, ast.Name) and t.value.id == "self")
        elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
            names.append(item.target.id)
        elif isinstance(item, ast.Assign):
            names.extend(t.id for t in item.targets if isinstance(t, ast.Name))
    return names


def _own_members(cls: type) -> Iterator[tuple[str, Any, type]]:
    """Public methods, properties and attributes written in the source of ``cls`` or its genai_base bases."""
    seen: set[str] = set()
    for klass in cls.__mro__:
        if not klass.__module__.startswith("genai_base"):
            continue
        for member in _source_names(klass):
            if member.startswith("_") or member in seen or member in _SKIPPED_MEMBERS:
                continue
            seen.add(member)
            yield member, vars(klass).get(member), klass


def _function_of(value: Any) -> Any:
    if isinstance(value, (classmethod, staticmethod)):
        return value.__func__
    if isinstance(value, property):
        return value.fget
    return value if isinstance(value, types.FunctionType) else None


_FIELD_LIST = re.compile(r"^\s*:(?:ivar|var|param|cvar)\s+(?:[\w\[\], .]+\s+)?(\w+):\s*(\S.*)$", re.M)


def _field_docs(klass: type) -> dict[str, str]:
    """How ``klass``'s attributes are documented, as autodoc reads them.

    A ``#:`` comment above the attribute (also ``self.x = ...`` in
    ``__init__``), or an ``:ivar name:`` / ``:param name:`` entry in the
    class docstring.
    """
    analyzer = ModuleAnalyzer.for_module(klass.__module__)
    docs = {attr: "\n".join(doc) for (scope, attr), doc in analyzer.find_attr_docs().items()
            if scope == klass.__qualname__}
    for name, text in _FIELD_LIST.findall(klass.__doc__ or ""):
        docs.setdefault(name, text)
    return docs


def _documented_classes() -> Iterator[tuple[str, type]]:
    for name, obj in _documented_objects():
        if inspect.isclass(obj):
            yield name, obj


def test_every_public_member_of_a_documented_class_has_a_docstring() -> None:
    undocumented = set()
    for _, cls in _documented_classes():
        for member, value, klass in _own_members(cls):
            where = f"{klass.__module__}.{klass.__qualname__}.{member}"
            function = _function_of(value)
            if function is not None:
                if not (function.__doc__ or "").strip():
                    undocumented.add(where)
            elif not isinstance(value, type) and not _field_docs(klass).get(member, "").strip():
                undocumented.add(f"{where} (a '#:' comment, or :ivar: in the class docstring)")
    assert not undocumented, f"autodoc drops members without a docstring; give these one: {sorted(undocumented)}"


def test_every_field_of_a_documented_dataclass_is_documented() -> None:
    undocumented = []
    for name, cls in _documented_classes():
        if not dataclasses.is_dataclass(cls):
            continue
        for field in dataclasses.fields(cls):
            owner = next(k for k in cls.__mro__ if field.name in getattr(k, "__annotations__", {}))
            if not field.name.startswith("_") and not _field_docs(owner).get(field.name, "").strip():
                undocumented.append(f"{name}.{field.name}")
    assert not undocumented, f"document these fields with a '#:' comment above each: {undocumented}"


def _untyped(function: Any, skip_first: bool) -> list[str]:
    signature = inspect.signature(function)
    params = list(signature.parameters.values())[1 if skip_first else 0:]
    missing = [p.name for p in params if p.annotation is inspect.Parameter.empty]
    if signature.return_annotation is inspect.Signature.empty and function.__name__ != "__init__":
        missing.append("return")
    return missing


def test_every_documented_callable_has_a_typed_signature() -> None:
    untyped = []
    for name, obj in _documented_objects():
        if inspect.isclass(obj):
            init = obj.__dict__.get("__init__") or next(
                (k.__dict__["__init__"] for k in obj.__mro__ if "__init__" in k.__dict__), None)
            if isinstance(init, types.FunctionType) and init.__module__.startswith("genai_base"):
                missing = _untyped(init, skip_first=True)
                if missing:
                    untyped.append(f"{name}() {missing}")
            for member, value, _ in _own_members(obj):
                function = _function_of(value)
                if function is None:
                    continue
                missing = _untyped(function, skip_first=not isinstance(value, staticmethod))
                if missing:
                    untyped.append(f"{name}.{member} {missing}")
        elif callable(obj):
            missing = _untyped(obj, skip_first=False)
            if missing:
                untyped.append(f"{name} {missing}")
    assert not untyped, f"annotate these parameters (and results): {untyped}"


def test_no_docstring_or_page_speaks_of_the_seed() -> None:
    # "The seed" is the project's word for the client it follows; users do not know it.
    found = []
    for path in [*Path(genai_base.__file__).parent.rglob("*.py"), *DOCS.glob("*.rst")]:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(r"\bseed\b", line, re.I) and not re.search(r"random\.Random|seed=|\.seed\(", line):
                found.append(f"{path.name}:{number}: {line.strip()}")
    assert not found, found


def test_the_shipped_inventories_match_their_list() -> None:
    result = subprocess.run([sys.executable, str(DOCS / "_tools" / "make_inventories.py"), "--check"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(("name", "base", "target", "url"), [
    ("python", "https://docs.python.org/3", "datetime.timedelta",
     "https://docs.python.org/3/library/datetime.html#datetime.timedelta"),
    ("requests", "https://requests.readthedocs.io/en/latest", "requests.Session",
     "https://requests.readthedocs.io/en/latest/api/#requests.Session"),
    ("aiohttp", "https://docs.aiohttp.org/en/stable", "aiohttp.ClientSession",
     "https://docs.aiohttp.org/en/stable/client_reference.html#aiohttp.ClientSession"),
])
def test_the_inventories_are_ones_sphinx_reads(name: str, base: str, target: str, url: str) -> None:
    with open(DOCS / "_inventories" / f"{name}.inv", "rb") as f:
        inventory = InventoryFile.load(f, base, lambda base, uri: f"{base}/{uri}")
    item = inventory["py:class"][target]
    assert (item.uri if hasattr(item, "uri") else item[2]) == url  # Sphinx < 8.2: a plain tuple
