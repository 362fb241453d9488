"""Slots a process took ahead from the shared schedule, used without a round trip.

A Redis round trip per call is the limiter's whole cost when the limit is
far above what a process sends. So, once the callers of a take are served,
the script hands the process more slots whose time comes within
``lease_window`` seconds: as many as the process's recent pace says it
will start calls in that window, at most ``lease``. Each is used no earlier
than its time and no later than ``lease_window`` after it, or dropped: over
any ``w`` seconds the fleet sends at most
``burst + rps * (w + lease_window)`` requests, where ``burst + rps * w`` is
the bound with no lease. Sizing a lease by the pace keeps a slow process
from leasing slots it would let lapse, which the rest of the fleet could
have used. When the schedule is more than the window ahead (a fleet at its
limit) no slot comes within it, and every call asks Redis, as it would
without leases.

Leases are this process's own: a forked child starts with none (the parent
may still use them), and a server's pause or correction drops them.
"""

from __future__ import annotations

import collections
import os
import threading
import time
import weakref
from typing import Any, Optional

__all__ = ["Leases"]


class Leases:
    """The leased slots of one limiter in this process (shared by its threads and event loops)."""

    __slots__ = (
        "__weakref__", "_claimed", "_gap", "_last", "_lock", "_settled", "_settlements", "_slots", "most", "window",
    )

    def __init__(self, window: float, most: int) -> None:
        #: How long after it was asked for a leased slot may still be used (seconds).
        self.window = window
        #: The most slots one round trip leases.
        self.most = most
        self._last = 0.0  # when the last acquire began (0: none yet)
        self._gap = 0.0  # the recent time between acquires, smoothed (0: not known yet)
        # A take asking for a lease is in flight: the threads that find no slot meanwhile wait for it
        # (sixteen threads leasing at once would each lease what all of them would use).
        self._claimed = False
        self._settlements = 0  # how many claims were settled: a waiter knows its claim came back
        # (usable from, usable until), monotonic, in schedule order.
        self._slots: "collections.deque[tuple[float, float]]" = collections.deque()
        self._lock = threading.Lock()
        self._settled = threading.Condition(self._lock)  # notified when a claim is settled
        _ALL.add(self)

    def add(self, count: int, first: float, interval: float, asked: float, answered: float) -> None:
        """Keep ``count`` slots from a take asked at ``asked`` and answered at ``answered`` (monotonic).

        The i-th is ``max(first + i * interval, 0)`` seconds after Redis's
        "now", which lies between the two: counted from ``answered`` its time
        is never early, and the window after it, counted from ``asked``,
        never ends late.
        """
        window = self.window
        with self._lock:
            append = self._slots.append
            for index in range(count):
                due = first + index * interval
                if due < 0.0:
                    due = 0.0
                append((answered + due, asked + due + window))

    def wanted(self) -> int:
        """How many slots to lease: the acquires the recent pace says will begin within the window."""
        gap = self._gap
        if gap <= 0.0:
            return 0  # no pace known yet: a single call leases nothing it might let lapse
        wanted = int(self.window / gap)
        return wanted if wanted < self.most else self.most

    def claim(self) -> Optional[int]:
        """How many slots the take about to be sent should lease (0: none); :meth:`settle` it after.

        ``None`` while another take of this process is leasing: wait for it
        (:meth:`wait_for_claim`) and look again, rather than lease twice.
        """
        wanted = self.wanted()
        if not wanted:
            return 0
        with self._lock:
            if self._claimed:
                return None
            self._claimed = True
        return wanted

    def wait_for_claim(self, seconds: float) -> bool:
        """Wait at most ``seconds`` for the lease being taken; False if it is still being taken."""
        with self._lock:
            if not self._claimed:
                return True
            settled = self._settlements
            self._settled.wait(seconds)
            return self._settlements != settled  # (another thread may have claimed the next one since)

    def settle(self, reply: Any, interval: float, asked: float) -> None:
        """End the claim of a take asked at ``asked``; keep the slots its ``reply`` leased (``None``: it failed).

        The reply's last two words: how many were leased, and the first one's time.
        """
        leased = 0 if reply is None else int(reply[-2])
        if leased:
            self.add(leased, float(reply[-1]), interval, asked, time.monotonic())
        with self._lock:
            self._claimed = False
            self._settlements += 1
            self._settled.notify_all()

    def take(self, timeout: Optional[float], pace: bool = True) -> Optional[float]:
        """The wait before the next leased slot, which is now this caller's; ``None``: none within ``timeout``.

        Called at the start of every acquire: it also keeps the pace.
        """
        now = time.monotonic()
        if pace:
            last, self._last = self._last, now
            if last:  # unlocked: a lost update between threads only nudges the estimate
                gap = self._gap
                self._gap = now - last if gap <= 0.0 else (gap + now - last) / 2
        slots = self._slots
        if not slots or not self.most:
            return None
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
        leases._settled = threading.Condition(leases._lock)
        leases._slots.clear()
        leases._claimed = False


os.register_at_fork(after_in_child=_after_fork)
