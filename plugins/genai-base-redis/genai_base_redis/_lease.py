"""Slots a process took ahead from the shared schedule, used without a round trip.

A Redis round trip per call is the limiter's whole cost when the limit is
far above what a process sends. So, once the callers of a take are served,
the script hands the process up to ``lease`` more slots whose time comes
within ``lease_window`` seconds. Each is used no earlier than its time and
no later than ``lease_window`` after it was taken, or dropped: over any
``w`` seconds the fleet sends at most ``burst + rps * (w + lease_window)``
requests, where ``burst + rps * w`` is the bound with no lease. Near the
limit there is no slot to spare inside the window and every call asks
Redis, as it would without leases.

Leases are this process's own: a forked child starts with none (the parent
may still use them), and a server's pause or correction drops them.
"""

from __future__ import annotations

import collections
import os
import threading
import time
import weakref
from typing import Optional

__all__ = ["Leases"]


class Leases:
    """The leased slots of one limiter in this process (shared by its threads and event loops)."""

    __slots__ = ("__weakref__", "_lock", "_slots", "window")

    def __init__(self, window: float) -> None:
        #: How long after it was asked for a leased slot may still be used (seconds).
        self.window = window
        # (usable from, usable until), monotonic, in schedule order.
        self._slots: "collections.deque[tuple[float, float]]" = collections.deque()
        self._lock = threading.Lock()
        _ALL.add(self)

    def add(self, count: int, first: float, interval: float, asked: float, answered: float) -> None:
        """Keep ``count`` slots from a take asked at ``asked`` and answered at ``answered`` (monotonic).

        The i-th is ``max(first + i * interval, 0)`` seconds after Redis's
        "now", which lies between the two: counted from ``answered`` it is
        never early, and its end counted from ``asked`` is never late.
        """
        until = asked + self.window
        with self._lock:
            append = self._slots.append
            for index in range(count):
                start = answered + max(first + index * interval, 0.0)
                if start > until:
                    break
                append((start, until))

    def take(self, timeout: Optional[float]) -> Optional[float]:
        """The wait before the next leased slot, which is now this caller's; ``None``: none within ``timeout``."""
        slots = self._slots
        if not slots:
            return None
        now = time.monotonic()
        with self._lock:
            while slots and slots[0][1] < now:
                slots.popleft()  # stale: its time has passed by more than the window allows
            if not slots:
                return None
            wait = slots[0][0] - now
            if timeout is not None and wait > timeout:
                return None
            slots.popleft()
        return wait if wait > 0 else 0.0

    def clear(self) -> None:
        """Drop every leased slot (the shared schedule moved, or this is a forked child)."""
        with self._lock:
            self._slots.clear()

    def __len__(self) -> int:
        return len(self._slots)


_ALL: "weakref.WeakSet[Leases]" = weakref.WeakSet()


def _after_fork() -> None:
    for leases in list(_ALL):
        leases._lock = threading.Lock()  # the parent's may have been held by another of its threads
        leases._slots.clear()


os.register_at_fork(after_in_child=_after_fork)
