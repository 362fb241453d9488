"""The session factory protocols (the built-in factories live in :mod:`genai_base._transports`)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import aiohttp
    import requests

    from ._settings import Settings

__all__ = ["SessionFactory", "AsyncSessionFactory"]


class SessionFactory(Protocol):
    """Makes the ``requests.Session`` a sync client sends with."""

    def __call__(self, settings: "Settings") -> "requests.Session": ...


class AsyncSessionFactory(Protocol):
    """Makes the ``aiohttp.ClientSession`` an async client sends with (called inside the running loop)."""

    def __call__(self, settings: "Settings") -> "aiohttp.ClientSession": ...
