"""The :class:`Model` base class: typed API models declared by class annotations.

A :class:`Model` subclass lists its fields as annotations (with optional
defaults or :func:`~genai_base.models.Field` specs). On first load the
annotations are resolved (forward references included) and a loader is
compiled for the class; a marshmallow schema is generated from the same
annotations and stays the source of truth (see ``_load``).

Two loading modes exist:

* strict: the data must match the annotations, otherwise
  :class:`~genai_base.models.ModelValidationError` names the first failing path;
* lenient (modeled on pydantic's ``construct``): the instance is built without
  validation, converting what fits, keeping mistyped values as received and
  reading missing required fields as ``None``.

Unknown fields are kept in both modes: reachable as attributes and included
in :meth:`Model.to_dict`.
"""

from __future__ import annotations

import reprlib
import sys
import typing
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from marshmallow import Schema

from ._fields import ModelInfo as _ModelInfo
from ._fields import collect_fields, model_info
from ._instances import SET_FIELDS_SET, extra_dict, extra_of, fields_set_of, init_instance, to_dict
from ._load import load_model
from ._nodes import ModelRoot
from ._schema import model_schema

if TYPE_CHECKING:
    if sys.version_info >= (3, 11):
        from typing import Self
    else:
        from typing_extensions import Self

__all__ = ["Model"]


class Model(ModelRoot):
    """Base for typed API models declared by class annotations (with defaults).

    Field values are plain instance attributes; unknown fields from the data
    are kept and readable as attributes too.  A field without a default is
    required; mutable defaults are copied per instance.
    """

    __slots__ = ()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # Models declared inside a function refer to each other through that
        # function's locals; keep a snapshot for resolving forward references.
        frame = sys._getframe(1)
        localns = dict(frame.f_locals) if frame.f_code.co_name != "<module>" else {}
        cls._genai_info = collect_fields(cls, localns)

    def __init__(self, **data: Any) -> None:
        """Build an instance by hand from Python field names (JSON names work too).

        Nothing is validated; missing fields take their defaults (``None`` when
        required) and unknown names are kept as unknown fields.
        """
        info = model_info(type(self))
        given: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        for key, value in data.items():
            decl = info.by_name.get(key) or info.by_key.get(key)
            if decl is None:
                extra[key] = value
            else:
                given[decl.name] = value
        values = {f.name: given[f.name] if f.name in given else f.make_default() for f in info.fields}
        init_instance(self, values, extra, frozenset(given))

    @classmethod
    def load(cls, data: Mapping[str, Any], *, strict: bool = False) -> Self:
        """Load decoded JSON ``data`` (a mapping) into an instance.

        Strict mode raises :class:`~genai_base.models.ModelValidationError` on a
        mismatch.  Lenient mode never raises for field values, but ``data`` that
        is not a mapping raises it in both modes (use ``load_as`` for "return
        it as is").
        """
        return typing.cast("Self", load_model(cls, data, strict=strict))

    @classmethod
    def schema(cls) -> Schema:
        """The marshmallow schema of this class (built once, then cached)."""
        return model_schema(cls)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data: JSON names, nested values converted, unset optional fields left out."""
        return to_dict(self)

    def _genai_plain(self) -> dict[str, Any]:
        # The JSON encoder's hook (see _jsonenc.PLAIN_HOOK), looked up on the class:
        # a field named ``to_dict`` cannot shadow it.
        return to_dict(self)

    if not TYPE_CHECKING:
        # Hidden from type checkers so that typos in declared names stay errors there.
        def __getattr__(self, name: str) -> Any:
            try:
                return extra_of(self)[name]
            except KeyError:
                raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}") from None

    def __setattr__(self, name: str, value: Any) -> None:
        if name in model_info(type(self)).by_name:
            fields_set = fields_set_of(self)
            if name not in fields_set:
                SET_FIELDS_SET(self, fields_set | {name})
        else:
            extra = extra_dict(self)
            if extra is not None and name in extra:
                extra[name] = value
                return
        object.__setattr__(self, name, value)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, Model)
        return self.__dict__ == other.__dict__ and extra_of(self) == extra_of(other)

    __hash__ = None  # type: ignore[assignment]  # mutable, compared by value

    @reprlib.recursive_repr()
    def __repr__(self) -> str:
        values = self.__dict__
        parts = [f"{f.name}={values[f.name]!r}" for f in model_info(type(self)).fields if f.name in values]
        odd: dict[str, Any] = {}
        for key, value in extra_of(self).items():
            if isinstance(key, str) and key.isidentifier():
                parts.append(f"{key}={value!r}")
            else:
                odd[key] = value
        if odd:
            parts.append(f"**{odd!r}")
        return f"{type(self).__name__}({', '.join(parts)})"


Model._genai_info = _ModelInfo(())
