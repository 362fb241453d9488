"""Sentinels shared by the public API: ``NOT_GIVEN`` and ``omit``."""

from __future__ import annotations

from typing import Any, Literal

__all__ = ["NotGiven", "NOT_GIVEN", "Omit", "omit", "is_given"]


class NotGiven:
    """Marks an argument that was not passed, where ``None`` is a meaningful value.

    ``timeout=None`` means "no timeout", so "use the client's default" needs
    its own sentinel.
    """

    __slots__ = ()

    def __bool__(self) -> Literal[False]:
        return False

    def __repr__(self) -> str:
        return "NOT_GIVEN"

    def __reduce__(self) -> str:
        return "NOT_GIVEN"


NOT_GIVEN = NotGiven()


class Omit:
    """A header value that removes the header, including a default one.

    ``extra_headers={"User-Agent": omit}`` sends no ``User-Agent`` at all.
    """

    __slots__ = ()

    def __bool__(self) -> Literal[False]:
        return False

    def __repr__(self) -> str:
        return "omit"

    def __reduce__(self) -> str:
        return "omit"


omit = Omit()


def is_given(value: Any) -> bool:
    """True unless ``value`` is ``NOT_GIVEN`` or ``omit``."""
    return not isinstance(value, (NotGiven, Omit))
