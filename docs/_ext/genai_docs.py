"""A directive for API sections whose feature may not have landed yet.

::

    .. api-if-available:: genai_base._pagination SyncPage AsyncPager

       .. autoclass:: genai_base._pagination.SyncPage

renders its content when the module imports and has every name listed, and
a "not available yet" note otherwise, so the reference builds with
``-W`` (warnings as errors) before and after the feature lands.
"""

from __future__ import annotations

import importlib
from typing import Any

from docutils import nodes
from docutils.parsers.rst import Directive


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


def setup(app: Any) -> dict[str, Any]:
    app.add_directive("api-if-available", APIIfAvailable)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
