"""Typed API models: declared by annotations, loaded through a compiled fast path and marshmallow.

The modules form layers, each importing only those above it in this list:

=================  =========================================================
``_errors``        :class:`ModelValidationError`
``_nodes``         annotations resolved into type nodes; the instance layout
``_fields``        field declarations, ``Field``, discriminators
``_instances``     instance storage, ``to_dict``, :func:`to_jsonable`
``_ma_fields``     the custom marshmallow fields
``_schema``        marshmallow fields and schemas from type nodes
``_error_path``    marshmallow errors -> ``ModelValidationError`` with a path
``_lenient``       the reference lenient construction
``_compile``       what the generated loaders are made of
``_fast_strict``   the compiled strict loaders
``_fast_lenient``  the compiled lenient builders
``_load``          ``load_as`` and friends: fast path first, marshmallow when unsure
``_model``         the :class:`Model` base class
=================  =========================================================

Everything up to ``_instances`` runs without marshmallow, so ``Field``,
``ModelValidationError`` and ``to_jsonable`` are imported eagerly here;
``Model`` and ``load_as`` load marshmallow and are imported on first use
(PEP 562), which keeps ``import genai_base`` light.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from ._errors import ModelValidationError
from ._fields import Field
from ._instances import to_jsonable

if TYPE_CHECKING:
    from ._load import load_as
    from ._model import Model

__all__ = ["Field", "Model", "ModelValidationError", "load_as", "to_jsonable"]

_LAZY = {"Model": "._model", "load_as": "._load"}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
