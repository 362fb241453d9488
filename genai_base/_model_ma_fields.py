"""The marshmallow fields that model annotations need beyond marshmallow's own.

Stricter variants of marshmallow's ``float``, ``bool``, datetime and enum
fields (JSON types only, no string parsing), :class:`LiteralField` for
``Literal[...]`` and :class:`UnionField` for unions, plus the tag matching that
``Literal`` choices and union discriminators share.  :func:`~genai_base._schema.make_field`
picks among them.
"""

from __future__ import annotations

import enum
import typing
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from marshmallow import ValidationError
from marshmallow import fields as ma

if TYPE_CHECKING:
    from ._models import Model
    from ._schema import TypeNode

__all__ = [
    "BoolField",
    "DateTimeField",
    "EnumField",
    "FloatField",
    "LiteralField",
    "UnionField",
    "json_value",
    "lookup_tag",
    "tag_key",
]


def json_value(choice: Any) -> Any:
    """The JSON form of a ``Literal`` choice (an Enum member appears as its value)."""
    return choice.value if isinstance(choice, enum.Enum) else choice


def tag_key(value: Any) -> tuple[type, Any]:
    """A lookup key that keeps ``True`` and ``1`` apart (they are equal in Python)."""
    return (type(value), value)


def lookup_tag(by_tag: dict[tuple[type, Any], TypeNode], tag: Any) -> TypeNode | None:
    """The union member whose discriminator accepts ``tag`` (``None`` if none does)."""
    try:
        return by_tag.get(tag_key(tag))
    except TypeError:  # an unhashable tag (a list or dict from the wire) matches nothing
        return None


class FloatField(ma.Float):
    """``float``: ints and floats only (marshmallow's Float also parses strings such as "1.5")."""

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> Any:
        if not isinstance(value, (int, float)):
            raise self.make_error("invalid", input=value)
        return super()._deserialize(value, attr, data, **kwargs)


class BoolField(ma.Boolean):
    """``bool``: JSON true/false only (marshmallow's Boolean also takes "yes", 1, "0", ...)."""

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> Any:
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


class DateTimeField(ma.DateTime):
    """ISO 8601 datetime that also takes a trailing ``Z`` where ``fromisoformat`` does not (3.10)."""

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> Any:
        if isinstance(value, str) and value[-1:] in ("Z", "z"):
            value = value[:-1] + "+00:00"
        return super()._deserialize(value, attr, data, **kwargs)


class EnumField(ma.Enum):
    """Enum by value that does not take ``True`` for a member whose value is 1."""

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> Any:
        if isinstance(value, bool) and not any(isinstance(m.value, bool) for m in self.enum):
            raise self.make_error("unknown", choices=self.choices_text)
        return super()._deserialize(value, attr, data, **kwargs)


class LiteralField(ma.Field):
    """Accepts exactly one of the ``Literal`` choices (same JSON type, same value)."""

    default_error_messages = {"invalid": "Must be one of: {choices}."}

    def __init__(self, choices: tuple[Any, ...], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.choices = choices
        self.choices_text = ", ".join(repr(json_value(c)) for c in choices) or "None"

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> Any:
        for choice in self.choices:
            target = json_value(choice)
            # The type check keeps Literal[1] from matching True (and 1.0).
            if type(value) is type(target) and value == target:
                return choice
        raise self.make_error("invalid", choices=self.choices_text)


def _count_messages(messages: Any) -> int:
    if isinstance(messages, dict):
        return sum(_count_messages(v) for v in messages.values())
    if isinstance(messages, list):
        return max(len(messages), 1)
    return 1


def _closeness(member: TypeNode, error: ValidationError, value: Mapping[Any, Any]) -> tuple[int, int]:
    """Sort key for union members that failed on a mapping: smaller is closer."""
    from ._model_fields import model_field_nodes  # not at the top: it imports this module (via _schema)

    known = model_field_nodes(typing.cast("type[Model]", member.model))
    return (-sum(1 for key in value if key in known), _count_messages(error.messages))


class UnionField(ma.Field):
    """A ``Union[...]``: chosen by discriminator when there is one, else first member that loads."""

    default_error_messages = {
        "invalid": "Does not match any of: {expected}.",
        "tag": "Must be one of: {choices}.",
    }

    def __init__(self, node: TypeNode, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.node = node

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> Any:
        members = self.node.members
        disc = self.node.discriminator()
        if disc is not None and isinstance(value, Mapping):
            key, by_tag = disc
            member = lookup_tag(by_tag, value.get(key))
            if member is not None:
                return member.field().deserialize(value)
            if not any(m.kind in ("dict", "any") for m in members):
                choices = ", ".join(repr(v) for _, v in by_tag)
                raise ValidationError({key: self.make_error("tag", choices=choices).messages})
        failures: list[tuple[TypeNode, ValidationError]] = []
        for member in members:
            try:
                return member.field().deserialize(value)
            except ValidationError as error:
                failures.append((member, error))
        if isinstance(value, Mapping):
            # Report the model member that came closest (most of the value's keys
            # known, then fewest errors): its field errors beat "matches nothing".
            candidates = [
                (m, e)
                for m, e in failures
                if m.kind == "model" and isinstance(e.messages, dict) and "_schema" not in e.messages
            ]
            if candidates:
                _, best = min(candidates, key=lambda c: _closeness(c[0], c[1], value))
                raise ValidationError(best.messages)
        expected = ", ".join(m.display for m in members)
        raise self.make_error("invalid", expected=expected)
