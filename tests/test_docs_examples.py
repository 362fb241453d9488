"""Every Python example in docs/ runs here, against the fake API server.

A ``.. code-block:: python`` in a ``.rst`` page must be preceded by one of
these comments (invisible in the built docs):

``.. runnable``
    run here, as it is: it starts what it needs itself (its ``server``, a
    :class:`~genai_base.testing.FakeAPIServer`, with
    ``server = FakeAPIServer().start()``) and must close what it opens.
    Nothing is passed in, so a name the reader is not shown fails the run.
``.. runnable: pending FEATURE [FEATURE ...]``
    for a feature that has not landed yet: skipped while it is missing, run
    as a non-strict xfail once it is there (an XPASS says: drop "pending").
``.. runnable: requires FEATURE [FEATURE ...]``
    for an optional install (e.g. a plugin from plugins/): skipped without
    it, run (and must pass) with it.
``.. not-runnable: REASON``
    a fragment; only checked to compile.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import textwrap
import types
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

import pytest

from genai_base import _plugins
from genai_base.testing import FakeAPIServer

DOCS = Path(__file__).resolve().parent.parent / "docs"

_CODE = re.compile(r"^(?P<indent>\s*)\.\. code-block:: python\s*$")
_MARKER = re.compile(r"^\s*\.\. (?P<kind>runnable|not-runnable)(?::\s*(?P<rest>.*?))?\s*$")

# What "pending FEATURE" and "requires FEATURE" name (every library feature has landed: none is pending).
FEATURES: dict[str, Callable[[], bool]] = {
    "msgpack-plugin": lambda: any(info.name == "msgpack" for info in _plugins.discover()["serializers"]),
}


@dataclass(frozen=True)
class Example:
    path: Path
    line: int  # 1-based line of the code-block directive
    code: str
    kind: Optional[str]  # "runnable", "pending", "requires", "not-runnable", or None when unmarked
    needs: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        return f"{self.path.name}:{self.line}"


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def extract(path: Path) -> list[Example]:
    """The Python code blocks of one page, with their markers."""
    lines = path.read_text(encoding="utf-8").splitlines()
    examples: list[Example] = []
    for index, line in enumerate(lines):
        match = _CODE.match(line)
        if not match:
            continue
        indent = len(match.group("indent"))
        before = index - 1
        while before >= 0 and not lines[before].strip():
            before -= 1
        marker = _MARKER.match(lines[before]) if before >= 0 else None
        kind: Optional[str] = None
        needs: tuple[str, ...] = ()
        if marker is not None:
            kind = marker.group("kind")
            rest = (marker.group("rest") or "").split()
            if kind == "runnable" and rest[:1] in (["pending"], ["requires"]):
                kind, needs = rest[0], tuple(rest[1:])
            elif kind == "runnable" and rest:
                kind = None  # "runnable: something-else" is a typo, reported as unmarked
        body_start = index + 1
        while body_start < len(lines) and lines[body_start].strip().startswith(":") and (
            _indent(lines[body_start]) > indent
        ):
            body_start += 1  # directive options such as :caption:
        end = body_start
        while end < len(lines) and (not lines[end].strip() or _indent(lines[end]) > indent):
            end += 1
        code = textwrap.dedent("\n".join(lines[body_start:end])).strip("\n") + "\n"
        examples.append(Example(path, index + 1, code, kind, needs))
    return examples


def all_examples() -> list[Example]:
    return [example for page in sorted(DOCS.glob("*.rst")) for example in extract(page)]


EXAMPLES = all_examples()
RUNNABLE = [e for e in EXAMPLES if e.kind in ("runnable", "pending", "requires")]


def test_the_guide_has_runnable_examples() -> None:
    assert len(RUNNABLE) >= 20
    pages = {e.path.name for e in RUNNABLE}
    for page in ("quickstart.rst", "building-an-sdk.rst", "configuration.rst", "plugins.rst", "testing.rst",
                 "retries.rst", "streaming.rst", "paging.rst", "observability.rst", "typing.rst", "raw-responses.rst",
                 "custom-paginators.rst", "testing-streams.rst"):
        assert page in pages


def test_every_python_example_is_marked() -> None:
    unmarked = [e.id for e in EXAMPLES if e.kind is None]
    assert not unmarked, f"mark these with '.. runnable' or '.. not-runnable: why': {unmarked}"
    unknown = sorted({need for e in EXAMPLES for need in e.needs} - set(FEATURES))
    assert not unknown, f"unknown features in '.. runnable: pending ...': {unknown}"
    assert all(e.needs for e in EXAMPLES if e.kind in ("pending", "requires"))


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.id for e in EXAMPLES])
def test_example_compiles(example: Example) -> None:
    compile(example.code, example.id, "exec")


# About what the article shows without scrolling in a 1280 px window (docs/_static/genai.css widens it).
MAX_CODE_LINE = 110


def test_example_lines_fit_the_page() -> None:
    wide = [f"{e.id}: {line.strip()[:40]}... ({len(line)})" for e in EXAMPLES for line in e.code.splitlines()
            if len(line) > MAX_CODE_LINE]
    assert not wide, f"wrap these example lines to {MAX_CODE_LINE} characters: {wide}"


def run_example(example: Example) -> None:
    """Execute ``example`` as a module of its own (so models and dataclasses find their module).

    The example gets nothing from here: every name it uses is defined in it.
    A fake server it left running (it failed before ``server.stop()``) is
    stopped afterwards.
    """
    name = f"docs_example_{example.path.stem.replace('-', '_')}_{example.line}"
    module = types.ModuleType(name)
    sys.modules[name] = module
    try:
        exec(compile(example.code, f"{example.path}:{example.line}", "exec"), module.__dict__)
    finally:
        del sys.modules[name]
        for value in list(module.__dict__.values()):
            if isinstance(value, FakeAPIServer):
                value.stop()


@pytest.mark.parametrize("example", RUNNABLE, ids=[e.id for e in RUNNABLE])
def test_example_runs(example: Example, request: pytest.FixtureRequest) -> None:
    missing = [need for need in example.needs if not FEATURES[need]()]
    if missing:
        why = "not landed yet" if example.kind == "pending" else "not installed"
        pytest.skip(f"{example.kind}: {', '.join(missing)} {why}")
    if example.kind == "pending":
        request.applymarker(pytest.mark.xfail(strict=False, reason=f"marked pending {' '.join(example.needs)}"))
    run_example(example)


def _server_bindings(tree: ast.AST) -> tuple[bool, bool]:
    """Whether the code assigns ``server = ...``, and whether it binds it in ``with ... as server``."""
    assigned = opened = False
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            assigned |= any(isinstance(t, ast.Name) and t.id == "server" for t in node.targets)
        elif isinstance(node, ast.withitem):
            opened |= isinstance(node.optional_vars, ast.Name) and node.optional_vars.id == "server"
    return assigned, opened


@pytest.mark.parametrize("example", RUNNABLE, ids=[e.id for e in RUNNABLE])
def test_an_example_that_uses_a_server_starts_it_and_stops_it(example: Example) -> None:
    tree = ast.parse(example.code)
    used = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)}
    if "server" not in used:
        return
    assigned, opened = _server_bindings(tree)
    assert assigned or opened, f"{example.id} uses 'server' without showing where it comes from"
    assert opened or "server.stop()" in example.code, f"{example.id} starts a server and never stops it"


def test_extract_reads_markers_options_and_indentation(tmp_path: Path) -> None:
    page = tmp_path / "page.rst"
    page.write_text(
        textwrap.dedent(
            """
            Title
            =====

            .. runnable

            .. code-block:: python
               :caption: first

               x = 1
               if x:
                   y = 2

            * a list item

              .. runnable: pending streaming models

              .. code-block:: python

                 z = 3

            .. code-block:: python

               unmarked = True

            .. runnable: requires msgpack-plugin

            .. code-block:: python

               needs_plugin = True

            Text after.
            """
        )
    )
    first, second, third, fourth = extract(page)
    assert (first.kind, first.code) == ("runnable", "x = 1\nif x:\n    y = 2\n")
    assert (second.kind, second.needs, second.code) == ("pending", ("streaming", "models"), "z = 3\n")
    assert (third.kind, third.code) == (None, "unmarked = True\n")
    assert (fourth.kind, fourth.needs) == ("requires", ("msgpack-plugin",))


@pytest.mark.slow
def test_docs_build_with_warnings_as_errors(tmp_path: Path) -> None:
    out = tmp_path / "html"
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "-q", "-b", "html", str(DOCS), str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    api = (out / "api.html").read_text(encoding="utf-8")
    # The theme (furo: dark mode, search), links into the Python, requests and aiohttp docs from the
    # shipped inventories (no network), and links to the source of each documented object.
    assert "furo.css" in api and "theme-toggle" in api
    assert (out / "search.html").exists() and (out / "searchindex.js").exists()
    for link in ("https://docs.python.org/3/library/datetime.html#datetime.timedelta",
                 "https://requests.readthedocs.io/en/latest/api/#requests.Session",
                 "https://docs.aiohttp.org/en/stable/client_reference.html#aiohttp.ClientSession"):
        assert f'href="{link}"' in api, link
    assert "viewcode-link" in api and (out / "_modules" / "genai_base" / "_sync.html").exists()
    for page in ("typing", "raw-responses", "custom-paginators", "testing-streams", "plugins"):
        assert (out / f"{page}.html").exists(), page


@pytest.mark.slow
def test_the_typing_page_passes_mypy_strict(tmp_path: Path) -> None:
    # typing.rst says its examples type-check: they are checked, as an SDK's code would be.
    files = []
    for number, example in enumerate(e for e in extract(DOCS / "typing.rst") if e.kind == "runnable"):
        path = tmp_path / f"typing_example_{number}.py"
        path.write_text(example.code, encoding="utf-8")
        files.append(str(path))
    assert files
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--follow-imports=silent", *files],
        capture_output=True, text=True, timeout=300, cwd=DOCS.parent,
    )
    assert result.returncode == 0, result.stdout + result.stderr
