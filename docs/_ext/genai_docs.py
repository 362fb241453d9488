"""Sphinx helpers for these docs: public names for private paths, and sections for features not landed yet.

Type hints name classes where they are defined (``genai_base._types.NotGiven``)
while the reference documents them where users import them from
(``genai_base.NotGiven``): a reference to a private module's name that the
package exports is resolved to the exported one.

A directive for API sections whose feature may not have landed yet:

::

    .. api-if-available:: genai_base._pagination SyncPage AsyncPager

       .. autoclass:: genai_base._pagination.SyncPage

renders its content when the module imports and has every name listed, and
a "not available yet" note otherwise, so the reference builds with
``-W`` (warnings as errors) before and after the feature lands.
"""

from __future__ import annotations

import importlib
from typing import Any, Optional

from docutils import nodes
from docutils.parsers.rst import Directive

# Where users import public names from, most specific first.
PUBLIC_PACKAGES = ("genai_base.testing", "genai_base")


def missing(module_name: str, names: list[str]) -> str | None:
    """Why ``module_name`` (with ``names``) can't be documented, or ``None``."""
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        return f"{module_name} cannot be imported ({exc})"
    absent = [name for name in names if not hasattr(module, name)]
    return f"{module_name} has no {', '.join(absent)} yet" if absent else None


class APIIfAvailable(Directive):
    required_arguments = 1
    optional_arguments = 50
    has_content = True

    def run(self) -> list[nodes.Node]:
        module_name, *names = self.arguments
        reason = missing(module_name, names)
        if reason is not None:
            note = nodes.note()
            note += nodes.paragraph(text=f"Not available yet in this build: {reason}.")
            return [note]
        container = nodes.container()
        self.state.nested_parse(self.content, self.content_offset, container)
        return list(container.children)


def public_name(target: str) -> Optional[str]:
    """``genai_base.NAME`` for ``genai_base._module.NAME`` when the package exports ``NAME``, else ``None``."""
    module_path, _, name = target.rpartition(".")
    if "._" not in f".{module_path}" or not name:
        return None
    for package in PUBLIC_PACKAGES:
        if module_path.startswith(package + "."):
            exported = getattr(importlib.import_module(package), "__all__", ())
            if name in exported:
                return f"{package}.{name}"
    return None


def resolve_public(app: Any, env: Any, node: Any, contnode: Any) -> Any:
    """``missing-reference`` handler: retry a private path under its public name."""
    if node.get("refdomain") != "py":
        return None
    target = public_name(node.get("reftarget", ""))
    if target is None:
        return None
    domain = env.get_domain("py")
    return domain.resolve_xref(env, node.get("refdoc"), app.builder, node["reftype"], target, node, contnode)


def setup(app: Any) -> dict[str, Any]:
    app.add_directive("api-if-available", APIIfAvailable)
    app.connect("missing-reference", resolve_public)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
