"""Shared fixtures: every client test runs on both shells against the real fake server."""

from __future__ import annotations

import asyncio
import inspect
import socket
from typing import Any, Iterator

import pytest

from genai_base import AsyncAPIClient, SyncAPIClient
from genai_base.testing import FakeAPIServer


class Shell:
    """Drives one kind of client (sync or async) the same way from a plain test function."""

    def __init__(self, kind: str, server: FakeAPIServer) -> None:
        self.kind = kind
        self.server = server
        self.loop = asyncio.new_event_loop() if kind == "async" else None
        self._clients: list[Any] = []

    @property
    def is_async(self) -> bool:
        return self.kind == "async"

    @property
    def client_class(self) -> type:
        """``AsyncAPIClient`` or ``SyncAPIClient``: the base of an SDK's own client on this shell."""
        return AsyncAPIClient if self.is_async else SyncAPIClient

    def client(self, **kwargs: Any) -> Any:
        """A client of this shell's kind on the fake server (closed after the test)."""
        kwargs.setdefault("version", "1.0.0")
        kwargs.setdefault("base_url", self.server.url)
        kwargs.setdefault("_strict_response_validation", False)
        cls = AsyncAPIClient if self.is_async else SyncAPIClient
        client = cls(**kwargs)
        self._clients.append(client)
        return client

    def run(self, value: Any) -> Any:
        """The value itself (sync) or the awaited coroutine (async)."""
        if inspect.isawaitable(value):
            assert self.loop is not None
            return self.loop.run_until_complete(value)  # type: ignore[arg-type]
        return value

    def collect(self, iterable: Any) -> list[Any]:
        """Every item of a sync or async iterable."""
        if hasattr(iterable, "__aiter__"):

            async def gather() -> list[Any]:
                return [item async for item in iterable]

            return self.run(gather())
        return list(iterable)

    def close(self) -> None:
        for client in self._clients:
            self.run(client.close())
        if self.loop is not None:
            self.loop.run_until_complete(self.loop.shutdown_asyncgens())
            self.loop.close()


@pytest.fixture(params=["sync", "async"])
def shell(request: pytest.FixtureRequest, fake_api: FakeAPIServer) -> Iterator[Shell]:
    """A :class:`Shell` of each kind, on the per-test-cleared fake server."""
    driver = Shell(request.param, fake_api)
    try:
        yield driver
    finally:
        driver.close()


def attempts(shell: Shell, path: str) -> int:
    """How many requests to ``path`` the fake server got."""
    return len(shell.server.requests_to(path))


def closed_port() -> int:
    """A loopback port nothing listens on: connecting is refused at once."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = int(sock.getsockname()[1])
    sock.close()
    return port


@pytest.fixture
def blackhole_port() -> Iterator[int]:
    """A loopback port whose accept queue is full, so a new connection hangs until its timeout."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = int(listener.getsockname()[1])
    fillers = []
    for _ in range(3):
        filler = socket.socket()
        filler.setblocking(False)
        try:
            filler.connect(("127.0.0.1", port))
        except BlockingIOError:
            pass
        fillers.append(filler)
    yield port
    for sock in [*fillers, listener]:
        sock.close()
