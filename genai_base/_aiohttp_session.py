"""The built-in ``aiohttp`` session factory, and pool timeouts on aiohttp.

One aiohttp timer (``ClientTimeout.connect``, set to pool + connect) covers
both waiting for a free connection slot and connecting, and both end in the
same ``ConnectionTimeoutError``. :class:`PoolAwareConnector` tells them
apart: it marks a context variable while a ``connect`` waits for a free
slot (aiohttp's ``_wait_for_available_connection``) and clears it when the
wait ends with a slot, so a timeout (the connect timer's, or the ``total``
one's) raised with the mark still set (:func:`timed_out_waiting_for_pool`)
fired while the pool was exhausted. Context variables are per task, so
concurrent calls never see each other's mark. Only a call that has to wait
pays anything: one that finds a free slot, the usual case, runs no code of
ours (a trace config would do the same with public signals but costs ~10 us
on every request). A session from a third-party factory without this
connector reports its pool timeouts as connect timeouts.
"""

from __future__ import annotations

import ssl
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

import aiohttp

from ._session import warn_if_unverified

if TYPE_CHECKING:
    from ._settings import Settings

__all__ = [
    "aiohttp_session_factory",
    "PoolAwareConnector",
    "ssl_context_for",
    "timed_out_waiting_for_pool",
    "forget_pool_wait",
    "pool_wait_marked",
]


def ssl_context_for(verify: Any, cert: Any) -> Any:
    """aiohttp's ``ssl=`` value for a requests-style ``verify`` and ``cert``."""
    warn_if_unverified(verify)
    if verify is False:
        return False
    context = ssl.create_default_context(cafile=verify if isinstance(verify, str) else None)
    if cert:
        certfile, keyfile = (cert, None) if isinstance(cert, str) else cert
        context.load_cert_chain(certfile, keyfile)
    return context


_QUEUED_FOR_POOL: ContextVar[bool] = ContextVar("genai_base_queued_for_pool", default=False)


def timed_out_waiting_for_pool() -> bool:
    """True if this task's last ``connect`` timed out while waiting for a slot; clears the mark.

    Asked right after aiohttp raised a timeout (see the module docstring).
    """
    queued = _QUEUED_FOR_POOL.get()
    if queued:
        _QUEUED_FOR_POOL.set(False)
    return queued


# Whether this task carries the mark: the context variable's own getter, no Python call.
pool_wait_marked = _QUEUED_FOR_POOL.get


def forget_pool_wait() -> None:
    """Drop a mark left by a wait that ended otherwise (say, the task was cancelled).

    The client asks :func:`pool_wait_marked` before each attempt and calls this only when it is
    set: a get is cheap, a set makes a new context mapping.
    """
    _QUEUED_FOR_POOL.set(False)


class PoolAwareConnector(aiohttp.TCPConnector):
    """A ``TCPConnector`` that notes whether a ``connect`` timed out waiting for a free slot.

    aiohttp (3.10.11 and later) waits for a slot in ``_wait_for_available_connection``,
    under its ``connect`` timer (and the ``total`` one). The mark is set for the
    wait and cleared when it ends with a slot; a timeout cancels the wait and
    leaves it set.
    """

    async def _wait_for_available_connection(self, *args: Any, **kwargs: Any) -> None:
        _QUEUED_FOR_POOL.set(True)
        await super()._wait_for_available_connection(*args, **kwargs)
        _QUEUED_FOR_POOL.set(False)


def aiohttp_session_factory(settings: "Settings") -> "aiohttp.ClientSession":
    """An ``aiohttp.ClientSession`` with the pool size, TLS and ``trust_env`` settings."""
    connector = PoolAwareConnector(
        limit=settings["pool_size"],
        ssl=ssl_context_for(settings["verify"], settings["cert"]),
    )
    # Redirects, timeouts and retries are the client's; the session only moves bytes.
    session = aiohttp.ClientSession(
        connector=connector,
        # The client applies trust_env itself, once per origin (see _async.environment_for):
        # aiohttp would look up netrc and proxies in a worker thread on every request.
        trust_env=False,
        auto_decompress=True,
    )
    # aiohttp quietly resends an idempotent request once when a kept-alive
    # connection drops; the retry policy already covers that, and a hidden
    # extra attempt would make the two shells disagree on what was sent.
    if hasattr(session, "_retry_connection"):
        session._retry_connection = False
    return session
