"""One header type for requests, responses, hook records and errors on both shells.

:class:`Headers` is a case-insensitive, multi-valued mapping that keeps each
name as it was first given. ``headers["set-cookie"]`` joins repeated values
with ``", "`` (as HTTP allows for lists); :meth:`Headers.get_list` gives them
one by one.
"""

from __future__ import annotations

from typing import Any, Iterable, Iterator, Mapping, MutableMapping, Optional, TypeVar, Union, cast, overload

from ._redact import REDACTED, SECRET_HEADERS

__all__ = ["Headers", "HeadersLike"]

_T = TypeVar("_T")


class _Template:
    """The mark of headers that :meth:`Headers.template_copy` was called on: they never change again."""

    def __repr__(self) -> str:
        return "<template>"


_TEMPLATE = _Template()

# Templates derived from a template with some headers set (an auth header, a retry count): made once per
# (template, headers), so a request signed the same way again is still a template's copy. Each entry
# keeps its template's store, so the id it is keyed by names no other while it lives.
_DERIVED: dict[tuple[int, tuple[tuple[str, str], ...]], tuple[object, "Headers"]] = {}
_DERIVED_MAX = 256
HeadersLike = Union["Headers", Mapping[str, str], Iterable[tuple[str, str]]]


class Headers(MutableMapping[str, str]):
    """A case-insensitive, multi-valued mapping of HTTP header names to values.

    Built from a mapping or from ``(name, value)`` pairs (repeated names
    kept). Setting a name replaces all its values; :meth:`add` appends one.
    """

    # ``_store``: lower-cased name -> (name as first given, value or values joined by ", ");
    # ``_lists``: only for names seen more than once, every value in order;
    # ``_shared``: True when the store is a template's, copied before the first change; _TEMPLATE when
    # these are a template (their store shared by copies, so never changed); False otherwise.
    __slots__ = ("_lists", "_shared", "_store")

    _store: dict[str, tuple[str, str]]
    _lists: Optional[dict[str, list[str]]]
    _shared: Union[bool, _Template]

    def __init__(self, headers: Optional[HeadersLike] = None) -> None:
        self._lists = None
        self._shared = False
        if headers is None:
            self._store = {}
        elif isinstance(headers, Headers):
            self._store = headers._store.copy()
            if headers._lists:
                self._lists = {k: v.copy() for k, v in headers._lists.items()}
        elif isinstance(headers, Mapping):
            mapping = cast("Mapping[str, str]", headers)
            self._store = {name.lower(): (name, value) for name, value in mapping.items()}
            if len(self._store) != len(mapping):  # two names differing only in case
                self._store = {}
                for name, value in mapping.items():
                    self.add(name, value)
        else:
            self._store = {}
            for name, value in headers:
                self.add(name, value)

    @classmethod
    def from_pairs(cls, pairs: Iterable[tuple[str, str]]) -> "Headers":
        """Headers from ``(name, value)`` pairs as a transport reports them (repeats kept)."""
        headers = cls()
        store = headers._store
        for name, value in pairs:
            lower = name.lower()
            if lower in store:
                headers._append(lower, name, value)
            else:
                store[lower] = (name, value)
        return headers

    @classmethod
    def from_store(cls, store: dict[str, tuple[str, str]]) -> "Headers":
        """Headers over a ``{lower name: (name, value)}`` dict (taken as is, not copied)."""
        headers = cls.__new__(cls)
        headers._store = store
        headers._lists = None
        headers._shared = False
        return headers

    def _own(self) -> None:
        """Copy a shared store before the first change (the template it came from never changes)."""
        if self._shared is _TEMPLATE:
            raise TypeError(
                "these headers are a template (template_copy() was called on them) and do not change: "
                "change a copy() of them"
            )
        self._store = self._store.copy()
        self._shared = False

    def _append(self, lower: str, name: str, value: str) -> None:
        if self._shared:
            self._own()
        first_name, joined = self._store[lower]
        if self._lists is None:
            self._lists = {}
        values = self._lists.setdefault(lower, [joined])
        values.append(value)
        self._store[lower] = (first_name, f"{joined}, {value}")

    # -- mapping -------------------------------------------------------------

    def __getitem__(self, name: str) -> str:
        return self._store[name.lower()][1]

    def __setitem__(self, name: str, value: str) -> None:
        lower = name.lower()
        if self._shared:
            self._own()
        if self._lists is not None:
            self._lists.pop(lower, None)
        self._store[lower] = (name, value)

    def __delitem__(self, name: str) -> None:
        lower = name.lower()
        if self._shared:
            self._own()
        del self._store[lower]
        if self._lists is not None:
            self._lists.pop(lower, None)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._store

    def __iter__(self) -> Iterator[str]:
        return (name for name, _ in self._store.values())

    def __len__(self) -> int:
        return len(self._store)

    @overload
    def get(self, name: str, /) -> Optional[str]: ...

    @overload
    def get(self, name: str, default: Union[str, _T], /) -> Union[str, _T]: ...

    def get(self, name: str, default: Any = None, /) -> Any:
        """The value of ``name`` (repeated values joined by ``", "``), or ``default``."""
        found = self._store.get(name.lower())
        return default if found is None else found[1]

    def pop_all(self, names: Iterable[str]) -> None:
        """Remove every header whose lower-cased name is in ``names``."""
        if self._shared:
            self._own()
        for lower in [n.lower() for n in names]:
            if lower in self._store:
                del self._store[lower]
                if self._lists is not None:
                    self._lists.pop(lower, None)

    # -- multi-valued --------------------------------------------------------

    def add(self, name: str, value: str) -> None:
        """Append a value for ``name``, keeping the ones it has."""
        lower = name.lower()
        if lower in self._store:
            self._append(lower, name, value)
        else:
            if self._shared:
                self._own()
            self._store[lower] = (name, value)

    def get_list(self, name: str) -> list[str]:
        """Every value sent for ``name``, in order (empty if absent)."""
        lower = name.lower()
        if self._lists is not None and lower in self._lists:
            return list(self._lists[lower])
        found = self._store.get(lower)
        return [] if found is None else [found[1]]

    def multi_items(self) -> list[tuple[str, str]]:
        """Every ``(name, value)`` pair, a repeated name once per value."""
        if not self._lists:
            return list(self._store.values())
        pairs: list[tuple[str, str]] = []
        for lower, (name, value) in self._store.items():
            if lower in self._lists:
                pairs.extend((name, one) for one in self._lists[lower])
            else:
                pairs.append((name, value))
        return pairs

    # -- conversions ---------------------------------------------------------

    def copy(self) -> "Headers":
        """A copy that changes independently of this one."""
        if self._lists:
            return Headers(self)
        copy = Headers.__new__(Headers)
        copy._store = self._store.copy()
        copy._lists = None
        copy._shared = False
        return copy

    def template_copy(self) -> "Headers":
        """A copy that shares this one's storage until it is changed (copy on write).

        For headers that never change themselves (a client's defaults): most
        requests send them as they are, and :meth:`is_copy_of` tells a
        transport so without comparing them. From the first call on, these
        headers are a template: changing them raises ``TypeError``.
        """
        if self._lists:
            return self.copy()
        if self._shared is False:
            self._shared = _TEMPLATE
        copy = Headers.__new__(Headers)
        copy._store = self._store
        copy._lists = None
        copy._shared = True
        return copy

    def is_copy_of(self, template: "Headers") -> bool:
        """True while this :meth:`template_copy` of ``template`` is unchanged."""
        return self._store is template._store

    def with_items(self, changes: tuple[tuple[str, str], ...]) -> "Headers":
        """A copy with ``changes`` (name, value) set; a :meth:`template_copy` of a template made once
        for them while these are a template or an unchanged copy of one."""
        store = self._store if self._shared else None
        if store is None:
            copy = self.copy()
            for name, value in changes:
                copy[name] = value
            return copy
        key = (id(store), changes)
        found = _DERIVED.get(key)
        if found is None:
            derived = Headers.from_store(store.copy())
            for name, value in changes:
                derived[name] = value
            if len(_DERIVED) >= _DERIVED_MAX:  # headers that keep changing (a key rotated often)
                _DERIVED.clear()
            found = _DERIVED[key] = (store, derived)
        return found[1].template_copy()

    def template_store(self) -> Optional[object]:
        """While these are a template or an unchanged :meth:`template_copy` of one: the template's
        storage, which never changes (a key for what a transport made of it once); else ``None``."""
        return self._store if self._shared else None

    def redacted(self, secret: Iterable[str] = SECRET_HEADERS) -> "Headers":
        """A copy whose credential values (names in ``secret``, lower case) read ``<redacted>``."""
        secret = secret if isinstance(secret, frozenset) else frozenset(s.lower() for s in secret)
        copy = self.copy()
        for lower, (name, _) in self._store.items():
            if lower in secret:
                copy[name] = REDACTED
        return copy

    def to_dict(self) -> dict[str, str]:
        """A plain ``{name: value}`` dict (repeated values joined)."""
        return dict(self._store.values())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Headers):
            return self._lower_items() == other._lower_items()
        if isinstance(other, Mapping):
            return self._lower_items() == {str(k).lower(): v for k, v in other.items()}
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable

    def _lower_items(self) -> dict[str, str]:
        return {lower: value for lower, (_, value) in self._store.items()}

    def __repr__(self) -> str:
        return f"Headers({self.redacted().to_dict()!r})"  # a repr never shows a credential
