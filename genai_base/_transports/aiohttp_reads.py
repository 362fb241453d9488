"""Read timeouts for the aiohttp transport: one loop timer for every wait, not two per request.

aiohttp's own ``sock_read`` timeout arms a loop timer when a request is sent
and arms it again on every piece of data received; on a small request those
timers (handles made, pushed on the loop's heap and cancelled) are a large
share of all the work. Here each wait for a piece of the response is a
deadline in a table, and one timer per loop, set for the earliest deadline,
cancels the task whose wait ran past it; the wait then raises a read
timeout in place of the cancellation. A deadline that moves later needs no
new timer: when the timer fires early it is simply set again.

As with ``sock_read``, the read phase starts once the connection is ready (a
pooled one at once, a new one once connected and through TLS): the request
class of :mod:`.aiohttp_request` starts the wait as the request is written.
A session it is not in (a session factory of the app's own) keeps aiohttp's
``sock_read``.
"""

from __future__ import annotations

import asyncio
import math
from typing import Any, Optional

__all__ = ["ReadWait", "ReadWatch"]


class ReadWait:
    """One task's wait for the next piece of a response, at most ``seconds`` (armed or not)."""

    __slots__ = ("cancelling", "deadline", "expired", "seconds", "started", "task")

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.task: Optional["asyncio.Task[Any]"] = None  # the task waiting (set as the wait starts)
        self.deadline = math.inf
        self.started = False
        #: Set when the watch cancelled the task for it, with the task's count of cancel requests before.
        self.expired = False
        self.cancelling = 0


class ReadWatch:
    """The read deadlines of one event loop's requests, checked by one timer."""

    __slots__ = ("_fires_at", "_loop", "_timer", "_waits")

    def __init__(self) -> None:
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._waits: set[ReadWait] = set()
        self._timer: Optional[asyncio.TimerHandle] = None
        self._fires_at = math.inf

    def prepare(self, seconds: float) -> Optional[ReadWait]:
        """A wait for the current task's request, to start once the connection is ready.

        ``None`` outside a task (a coroutine driven by hand): nothing to
        cancel, so that request's reads are left to aiohttp's ``sock_read``.
        """
        loop = self._loop
        if loop is None:
            loop = self._loop = asyncio.get_running_loop()
        task = asyncio.current_task(loop)  # the watch's loop named: no getpid() (Python 3.11) per request
        if task is None:
            return None
        wait = ReadWait(seconds)
        wait.task = task
        return wait

    def arm(self, wait: ReadWait) -> None:
        """Start (or start again) ``wait`` (its task set): the next piece must come within its seconds from now."""
        loop = self._loop
        if loop is None:
            loop = self._loop = asyncio.get_running_loop()
        wait.started = True
        wait.expired = False
        deadline = wait.deadline = loop.time() + wait.seconds
        self._waits.add(wait)
        if deadline < self._fires_at:
            self._set_timer(loop, deadline)

    def end(self, wait: ReadWait) -> None:
        """The piece came (or the wait ended otherwise): no deadline any more."""
        self._waits.discard(wait)

    @staticmethod
    def timed_out(wait: ReadWait) -> bool:
        """In an ``except CancelledError``: whether the cancellation was this watch's, for ``wait``, alone.

        A cancellation asked for by someone else at the same time is left to
        propagate (as ``asyncio.timeout`` does).
        """
        if not wait.expired:
            return False
        uncancel = getattr(wait.task, "uncancel", None)  # Python 3.11+
        return uncancel is None or uncancel() <= wait.cancelling

    def close(self) -> None:
        """Stop the timer (the transport is closing)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._fires_at = math.inf
        self._waits.clear()

    def _set_timer(self, loop: asyncio.AbstractEventLoop, when: float) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = loop.call_at(when, self._fire)
        self._fires_at = when

    def _fire(self) -> None:
        self._timer = None
        self._fires_at = math.inf
        loop = self._loop
        if loop is None:
            return
        now = loop.time()
        earliest = math.inf
        for wait in list(self._waits):
            if wait.deadline <= now:
                self._waits.discard(wait)
                task = wait.task
                if task is None or task.done():
                    continue
                wait.expired = True
                cancelling = getattr(task, "cancelling", None)  # Python 3.11+
                wait.cancelling = cancelling() if cancelling is not None else 0
                task.cancel()
            elif wait.deadline < earliest:
                earliest = wait.deadline
        if earliest < math.inf:
            self._set_timer(loop, earliest)
