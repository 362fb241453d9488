"""Resources: the base classes of an SDK's ``client.items``-style groups of methods."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._async import AsyncAPIClient
    from ._sync import SyncAPIClient

__all__ = ["SyncAPIResource", "AsyncAPIResource"]


class SyncAPIResource:
    """A group of an SDK's methods on a sync client: ``self._get(...)``, ``self._post(...)``, ..."""

    #: The client the methods call.
    _client: "SyncAPIClient"

    def __init__(self, client: "SyncAPIClient") -> None:
        self._client = client
        self._get = client.get
        self._post = client.post
        self._put = client.put
        self._patch = client.patch
        self._delete = client.delete
        self._get_api_list = client.get_api_list

    def _sleep(self, seconds: float) -> None:
        """Wait ``seconds`` (polling helpers)."""
        time.sleep(seconds)


class AsyncAPIResource:
    """A group of an SDK's methods on an async client: ``await self._get(...)``, ..."""

    #: The client the methods call.
    _client: "AsyncAPIClient"

    def __init__(self, client: "AsyncAPIClient") -> None:
        self._client = client
        self._get = client.get
        self._post = client.post
        self._put = client.put
        self._patch = client.patch
        self._delete = client.delete
        self._get_api_list = client.get_api_list

    async def _sleep(self, seconds: float) -> None:
        """Wait ``seconds`` (polling helpers)."""
        await asyncio.sleep(seconds)
