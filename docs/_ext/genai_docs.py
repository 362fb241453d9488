"""Sphinx helper for these docs: public names for private paths.

Type hints name classes where they are defined (``genai_base._types.NotGiven``)
while the reference documents them where users import them from
(``genai_base.NotGiven``): a reference to a private module's name that the
package exports is resolved to the exported one.
"""

from __future__ import annotations

import importlib
from typing import Any, Optional

# Where users import public names from, most specific first.
PUBLIC_PACKAGES = ("genai_base.testing", "genai_base")


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
    app.connect("missing-reference", resolve_public)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
