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
    "genai_docs",  # docs/_ext/genai_docs.py: API sections for features that may not have landed yet
]

exclude_patterns = ["_build"]
root_doc = "index"
language = "en"
pygments_style = "sphinx"

html_theme = "alabaster"
html_title = f"genai_base {release}"
html_theme_options = {"description": "The foundation API SDKs are built on", "fixed_sidebar": True}

autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_preserve_defaults = True
autodoc_class_signature = "mixed"
autodoc_default_options = {"show-inheritance": False}
