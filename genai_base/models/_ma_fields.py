"""The marshmallow fields that model annotations need beyond marshmallow's own.

Stricter variants of marshmallow's ``float``, ``bool``, datetime and enum
fields (JSON types only, no string parsing), :class:`LiteralField` for
``Literal[...]`` and :class:`UnionField` for unions. ``_schema.make_field``
picks among them. :func:`utc_z` and :data:`ISO_DATETIME` / :data:`ISO_DATE`
are shared with the compiled fast path, so that both parse alike.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Iterable, cast

from marshmallow import ValidationError
from marshmallow import fields as ma

from ._fields import discriminator, model_field_nodes
from ._nodes import TypeNode, json_value, lookup_tag

if TYPE_CHECKING:  # marshmallow 4's fields are generic in their value; marshmallow 3's (the floor) are not
    _AnyField = ma.Field[Any]
    _AnyEnum = ma.Enum[Any]
else:
    _AnyField = ma.Field
    _AnyEnum = ma.Enum

__all__ = [
    "ISO_DATE",
    "ISO_DATETIME",
    "BoolField",
    "DateTimeField",
    "EnumField",
    "FloatField",
    "LiteralField",
    "UnionField",
    "utc_z",
]


def utc_z(value: str) -> str:
    """``value`` with a trailing ``Z`` spelled ``+00:00`` (``fromisoformat`` before 3.11 wants that)."""
    return value[:-1] + "+00:00" if value[-1:] in ("Z", "z") else value


def _iso_parser(field_cls: type[ma.Field[Any]], fallback: Callable[[str], Any]) -> Callable[[str], Any]:
    # marshmallow's own ISO parser for the field class (marshmallow 3 and 4 differ), so that
    # the fast path parses a string exactly as the field does.
    funcs = getattr(field_cls, "DESERIALIZATION_FUNCS", None)
    found = funcs.get("iso") if isinstance(funcs, Mapping) else None
    return found if callable(found) else fallback


#: The function ``DateTime(format="iso")`` / ``Date(format="iso")`` parses a string with.
ISO_DATETIME: Callable[[str], dt.datetime] = _iso_parser(ma.DateTime, dt.datetime.fromisoformat)
ISO_DATE: Callable[[str], dt.date] = _iso_parser(ma.Date, dt.date.fromisoformat)


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
        if isinstance(value, str):
            value = utc_z(value)
        return super()._deserialize(value, attr, data, **kwargs)


class EnumField(_AnyEnum):
    """Enum by value that does not take ``True`` for a member whose value is 1."""

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> Any:
        if isinstance(value, bool) and not any(isinstance(m.value, bool) for m in cast("Iterable[Any]", self.enum)):
            raise self.make_error("unknown", choices=self.choices_text)
        return super()._deserialize(value, attr, data, **kwargs)


class LiteralField(_AnyField):
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
    assert member.model is not None
    known = model_field_nodes(member.model)
    return (-sum(1 for key in value if key in known), _count_messages(error.messages))


class UnionField(_AnyField):
    """A ``Union[...]``: chosen by discriminator when there is one, else first member that loads."""

    default_error_messages = {
        "invalid": "Does not match any of: {expected}.",
        "tag": "Must be one of: {choices}.",
    }

    def __init__(self, node: TypeNode, member_fields: Sequence[ma.Field[Any]], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.node = node
        # One standalone field per member, in member order (``_schema.field_for`` builds them).
        self.member_fields = dict(zip((id(m) for m in node.members), member_fields, strict=True))

    def _deserialize(self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any) -> Any:
        members = self.node.members
        fields = self.member_fields
        disc = discriminator(self.node)
        if disc is not None and isinstance(value, Mapping):
            key, by_tag = disc
            member = lookup_tag(by_tag, value.get(key))
            if member is not None:
                return fields[id(member)].deserialize(value)
            if not any(m.kind in ("dict", "any") for m in members):
                choices = ", ".join(repr(v) for _, v in by_tag)
                raise ValidationError({key: self.make_error("tag", choices=choices).messages})
        failures: list[tuple[TypeNode, ValidationError]] = []
        for member in members:
            try:
                return fields[id(member)].deserialize(value)
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
