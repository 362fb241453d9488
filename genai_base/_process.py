"""Which process this is, as far as connection pools care: a count of the forks it came from.

A pool's sockets belong to the process that opened them; after ``os.fork()``
the child must open its own. Pools note :data:`PROCESS`'s ``generation`` when
they are made and compare it before each use: ``os.register_at_fork`` bumps
it in every child, so the check costs an attribute read, not a system call
(``os.getpid()``) per request.
"""

from __future__ import annotations

import os

__all__ = ["PROCESS"]


class _Process:
    """The fork generation of the running process (0 in the process that imported the library)."""

    __slots__ = ("generation",)

    def __init__(self) -> None:
        self.generation = 0

    def _forked(self) -> None:
        self.generation += 1


#: The running process; ``PROCESS.generation`` changes in each child after a fork.
PROCESS = _Process()

if hasattr(os, "register_at_fork"):  # POSIX; elsewhere there is no fork to detect
    os.register_at_fork(after_in_child=PROCESS._forked)
