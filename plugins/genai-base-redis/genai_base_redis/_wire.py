"""The short path to Redis for the limiter's hot command: held connections, commands packed once.

redis-py's client does a lot per command that a limiter asking the same
thing thousands of times a second does not need: a pool checkout with a
readiness poll, packing every argument again, a retry wrapper and metrics.
Here each thread (sync) or event loop (async) holds its own
``redis.Connection`` (made by the pool's public ``make_connection``) and
sends bytes packed mostly in advance.

Sync: a thread's connections are kept per socket timeout, so that a call
with little time left asks Redis on a connection whose connect and read
timeouts each fit in half of it (never past the call's deadline).
Async: one connection per loop and one command in flight at a time; the
callers that arrive meanwhile are answered together by the next command
(see ``genai_base_redis._limiter``), so sixteen concurrent calls cost about
two round trips, not sixteen.
"""

from __future__ import annotations

import asyncio
import math
import os
import sys
import threading
import weakref
from typing import Any, Awaitable, Optional, Sequence

import redis
import redis.asyncio
from redis.exceptions import NoScriptError

__all__ = ["pack", "timeout_step", "SyncWire", "AsyncWire", "within"]

_SMALLEST_STEP = 0.001


def pack(args: Sequence[bytes]) -> bytes:
    """One RESP command (an array of bulk strings)."""
    return b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args)


def timeout_step(limit: float, left: Optional[float]) -> Optional[float]:
    """The socket timeout for a command: ``limit``, or a power of two milliseconds <= half of ``left``.

    Half, because a command may have to connect and then read, each bounded
    by it. ``None``: less than a millisecond is left, do not ask.
    """
    if left is None or left >= 2 * limit:
        return limit
    half = left / 2
    if half < _SMALLEST_STEP:
        return None
    return min(_SMALLEST_STEP * 2.0 ** math.floor(math.log2(half / _SMALLEST_STEP)), limit)


if sys.version_info >= (3, 11):

    async def within(seconds: float, awaitable: Awaitable[Any]) -> Any:
        """``await awaitable``, cancelled (``TimeoutError``) after ``seconds``."""
        async with asyncio.timeout(seconds):
            return await awaitable

else:  # asyncio.timeout is new in 3.11; wait_for costs a task more

    async def within(seconds: float, awaitable: Awaitable[Any]) -> Any:
        """``await awaitable``, cancelled (``TimeoutError``) after ``seconds``."""
        return await asyncio.wait_for(awaitable, seconds)


class SyncWire:
    """Per-thread sync connections to one Redis, by socket timeout; forgotten in a forked child."""

    def __init__(self, url: str, options: dict[str, Any]) -> None:
        self._pool = redis.ConnectionPool.from_url(url, **options)
        self._local = threading.local()
        self._all: "weakref.WeakSet[Any]" = weakref.WeakSet()  # to close them all
        self._lock = threading.Lock()
        _WIRES.add(self)

    def forget(self) -> None:
        """Drop every connection without closing it (in a forked child: the parent's sockets)."""
        self._local = threading.local()  # the parent's sockets are not this process's to use
        self._all = weakref.WeakSet()
        self._lock = threading.Lock()

    def connection(self, timeout: float) -> Any:
        """This thread's connection whose connect and read timeouts are ``timeout``."""
        held: Optional[dict[float, Any]] = getattr(self._local, "held", None)
        if held is None:
            held = self._local.held = {}
        conn = held.get(timeout)
        if conn is None:
            conn = held[timeout] = self._pool.connection_class(
                **{**self._pool.connection_kwargs, "socket_timeout": timeout, "socket_connect_timeout": timeout})
            with self._lock:
                self._all.add(conn)
        return conn

    def call(self, packed: bytes, timeout: float, script: str) -> Any:
        """Send ``packed`` (an EVALSHA of ``script``) and read its reply; loads the script if Redis lost it.

        Any failure drops the connection (a reply may still be on its way)
        and is raised for the caller to judge.
        """
        conn = self.connection(timeout)
        try:
            conn.send_packed_command([packed], check_health=False)
            try:
                return conn.read_response()
            except NoScriptError:  # Redis restarted (or was flushed): load it, then once more
                conn.send_command("SCRIPT", "LOAD", script, check_health=False)
                conn.read_response()
                conn.send_packed_command([packed], check_health=False)
                return conn.read_response()
        except BaseException:
            conn.disconnect()
            raise

    def close(self) -> None:
        """Close every thread's connections (each opens again on its next use)."""
        with self._lock:
            held = list(self._all)
        for conn in held:
            conn.disconnect()


_WIRES: "weakref.WeakSet[SyncWire]" = weakref.WeakSet()


def _after_fork() -> None:
    for wire in list(_WIRES):
        wire.forget()


os.register_at_fork(after_in_child=_after_fork)


class AsyncWire:
    """One event loop's connection to one Redis (closed with the loop), one command at a time."""

    __slots__ = ("_conn", "busy", "pending")

    def __init__(self, url: str, options: dict[str, Any]) -> None:
        pool = redis.asyncio.ConnectionPool.from_url(url, **options)
        self._conn = pool.make_connection()
        #: Whether a command is in flight on this loop.
        self.busy = False
        #: Callers waiting for the next command: (future, argument).
        self.pending: list[tuple["asyncio.Future[Any]", bytes]] = []

    async def call(self, packed: bytes, script: str) -> Any:
        """:meth:`SyncWire.call` on this loop (the caller bounds it in time)."""
        conn = self._conn
        try:
            await conn.send_packed_command([packed], check_health=False)
            try:
                return await conn.read_response()
            except NoScriptError:
                await conn.send_command("SCRIPT", "LOAD", script, check_health=False)
                await conn.read_response()
                await conn.send_packed_command([packed], check_health=False)
                return await conn.read_response()
        except BaseException:
            await conn.disconnect(nowait=True)
            raise

    async def close(self) -> None:
        """Close the connection (it opens again on the next use)."""
        await self._conn.disconnect()
