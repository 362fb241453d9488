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
have used.

A thread that finds no slot while another thread's take is leasing some
waits for that answer (once, bounded) before it asks Redis for its own:
in a many-threaded process several threads arrive during the round trip
that refills the lease, and each would otherwise make a round trip of its
own. (The async shell serves the callers that arrive meanwhile with one
command instead.)

Leases are this process's own: a forked child starts with none (the parent
may still use them), and a server's pause or correction drops them. Only
a fleet below its limit leases: a take whose callers must wait for their
slots leases nothing, and after a server's pause or correction this
process leases nothing for a second.
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
        "__weakref__", "_gap", "_last", "_lock", "_off_until", "_pending", "_settled", "_settlements", "_slots",
        "most", "window",
    )

    def __init__(self, window: float, most: int) -> None:
        #: How far ahead a leased slot may be, and how long after its time it may still be used (seconds).
        self.window = window
        #: The most slots one round trip leases.
        self.most = most
        self._last = 0.0  # when the last acquire began (0: none yet)
        self._gap = -1.0  # the recent time between acquires, smoothed (negative: not known yet)
        self._off_until = 0.0  # no leases before this (monotonic; 0: none held off)
        # Slots asked for by takes still in flight: threads asking at once share what the pace
        # says the process will use, and do not each lease all of it.
        self._pending = 0
        # (usable from, usable until), monotonic, in schedule order.
        self._slots: "collections.deque[tuple[float, float]]" = collections.deque()
        self._lock = threading.Lock()
        self._settled = threading.Condition(self._lock)  # notified as each claim is settled
        self._settlements = 0
        _ALL.add(self)

    def add(self, count: int, first: float, interval: float, answered: float) -> None:
        """Keep ``count`` slots from a take answered at ``answered`` (monotonic).

        The i-th is ``max(first + i * interval, 0)`` seconds after Redis's
        "now", which came before the answer: counted from ``answered`` its
        time is never early. Its window is counted from there too, as a slot
        granted to the caller itself is first used once the answer is in: a
        leased slot goes at most the window later than that one would have.
        """
        window = self.window
        made = []
        for index in range(count):
            due = first + index * interval
            start = answered + (due if due > 0.0 else 0.0)
            made.append((start, start + window))
        self._slots.extend(made)  # atomic, as every change to the deque is

    def wanted(self) -> int:
        """The acquires the recent pace says will begin within the window (0: no pace known yet, or held off)."""
        gap = self._gap
        if gap < 0.0:
            return 0  # a single call leases nothing it might let lapse
        if self._off_until and time.monotonic() < self._off_until:
            return 0
        return int(self.window / gap) if gap > 1e-7 else 1_000_000

    def claim(self) -> int:
        """How many slots the take about to be sent should lease (0: none); :meth:`settle` it after.

        What the pace will use in the window, less the slots held and those
        other takes of this process are asking for; at most :attr:`most`.
        """
        wanted = self.wanted()
        if not wanted:
            return 0
        with self._lock:
            claim = wanted - len(self._slots) - self._pending
            if claim > self.most:
                claim = self.most
            if claim <= 0:
                return 0
            self._pending += claim
        return claim

    def settle(self, claimed: int, reply: Any, interval: float) -> None:
        """End a claim of ``claimed`` slots; keep those its take's ``reply`` leased (``None``: it failed).

        The reply's last two words: how many were leased, and the first one's time.
        """
        leased = 0 if reply is None else int(reply[-2])
        if leased:
            self.add(leased, float(reply[-1]), interval, time.monotonic())
        with self._lock:
            self._pending -= claimed
            self._settlements += 1
            self._settled.notify_all()

    def take_after_pending(self, timeout: Optional[float], bound: float) -> Optional[float]:
        """:meth:`take` (``timeout`` from now), once the take in flight that leases slots here is answered.

        ``None`` at once when no such take is in flight, and when it was not
        answered within ``bound`` seconds (or ``timeout``) or left no slot.
        """
        began = time.monotonic()
        if timeout is not None and timeout < bound:
            bound = timeout
        with self._lock:
            if not self._pending or bound <= 0.0:
                return None
            seen = self._settlements
            if not self._settled.wait_for(lambda: self._settlements != seen, bound):
                return None
        now = time.monotonic()
        return self._pop(now, None if timeout is None else timeout - (now - began))

    def take(self, timeout: Optional[float]) -> Optional[float]:
        """The wait before the next leased slot, which is now this caller's; ``None``: none within ``timeout``.

        Called at the start of every acquire: it also keeps the pace.
        """
        now = time.monotonic()
        last, self._last = self._last, now
        if last:  # unlocked: threads racing here only nudge the estimate (never below 0)
            since = now - last if now > last else 0.0
            gap = self._gap
            self._gap = since if gap < 0.0 else (gap + since) / 2
        return self._pop(now, timeout)

    def _pop(self, now: float, timeout: Optional[float]) -> Optional[float]:
        slots = self._slots
        # Lock-free (a deque's popleft and appendleft are atomic): a lock taken here by every call of
        # a many-threaded process convoys its threads behind whichever lost the GIL holding it.
        while slots:
            try:
                start, until = slots.popleft()
            except IndexError:
                return None
            if until < now:
                continue  # stale: its time has passed by more than the window allows
            wait = start - now
            if timeout is not None and wait > timeout:
                slots.appendleft((start, until))  # not this call's, still another's
                return None
            return wait if wait > 0 else 0.0
        return None

    def clear(self, hold: float = 0.0) -> None:
        """Drop every leased slot (the shared schedule moved, or this is a forked child).

        ``hold``: lease nothing for that many seconds either (the server said
        the fleet is close to its limit, where leased slots would be dropped
        again before they are used).
        """
        if hold > 0.0:
            self._off_until = time.monotonic() + hold
        self._slots.clear()

    def __len__(self) -> int:
        return len(self._slots)


_ALL: "weakref.WeakSet[Leases]" = weakref.WeakSet()


def _after_fork() -> None:
    for leases in list(_ALL):
        leases._lock = threading.Lock()  # the parent's may have been held by another of its threads
        leases._settled = threading.Condition(leases._lock)
        leases._slots.clear()
        leases._pending = 0  # the parent's takes in flight are not this process's
        leases._off_until = 0.0


os.register_at_fork(after_in_child=_after_fork)
