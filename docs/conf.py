"""Sphinx configuration for the genai_base guide and API reference.

Build: python -m sphinx -W -b html docs docs/_build/html
"""

from __future__ import annotations

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "_ext"))
sys.path.insert(0, os.path.dirname(HERE))

from genai_base import __version__  # noqa: E402

project = "genai_base"
author = "the genai_base authors"
copyright = "the genai_base authors"
version = release = __version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.intersphinx",
    "sphinx.ext.viewcode",
    "genai_docs",  # docs/_ext/genai_docs.py: private paths in type hints resolved to their public names
]

# Links to the Python, requests and aiohttp docs. The build runs offline (CI has no network), so the
# inventories are the small ones in _inventories/, made by _tools/make_inventories.py: one entry for
# each outside name these docs refer to, pointing at its real page.
intersphinx_mapping = {
    "python": ("https://docs.python.org/3", os.path.join("_inventories", "python.inv")),
    "requests": ("https://requests.readthedocs.io/en/latest", os.path.join("_inventories", "requests.inv")),
    "aiohttp": ("https://docs.aiohttp.org/en/stable", os.path.join("_inventories", "aiohttp.inv")),
}

exclude_patterns = ["_build"]
root_doc = "index"
language = "en"

# furo: a theme made for API docs (code blocks as wide as the page allows, dark mode, search).
html_theme = "furo"
html_title = f"genai_base {release}"
html_static_path = ["_static"]
html_css_files = ["genai.css"]  # a wider article on wide screens, for the code

autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_preserve_defaults = True
autodoc_class_signature = "mixed"
