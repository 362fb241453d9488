"""The built-in ``aiohttp`` session factory, and pool timeouts on aiohttp.

One aiohttp timer (``ClientTimeout.connect``, set to pool + connect) covers
both waiting for a free connection slot and connecting, and both end in the
same ``ConnectionTimeoutError``. :class:`PoolAwareConnector` tells them
apart: it marks a context variable when ``connect`` starts and clears it
when ``_create_connection`` starts (the slot is ours) or ``connect``
returns, so a timeout (the connect timer's, or the ``total`` one's) raised
with the mark still set (:func:`timed_out_waiting_for_pool`) fired while the
pool was exhausted. Context variables are per task, so concurrent calls
never see each other's mark; the cost is one extra coroutine frame per
request (a trace config would do the same with public signals but costs
~10 us a request). A session from a third-party factory without this
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

__all__ = ["aiohttp_session_factory", "PoolAwareConnector", "ssl_context_for", "timed_out_waiting_for_pool"]


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
    """True if this task's last ``connect`` failed before it got a connection slot; clears the mark.

    Asked right after aiohttp raised a timeout (see the module docstring).
    """
    queued = _QUEUED_FOR_POOL.get()
    if queued:
        _QUEUED_FOR_POOL.set(False)
    return queued


class PoolAwareConnector(aiohttp.TCPConnector):
    """A ``TCPConnector`` that notes whether a ``connect`` is still waiting for a free slot.

    ``connect`` either returns an idle pooled connection at once, or (under
    aiohttp's ``connect`` timer, and the ``total`` one) waits for a free
    slot and then reuses a connection or calls ``_create_connection``. The
    mark is set on entry and cleared once a new connection starts being made
    or ``connect`` returns, so a timeout raised with the mark still set fired
    while the pool was exhausted.
    """

    async def connect(self, *args: Any, **kwargs: Any) -> Any:
        _QUEUED_FOR_POOL.set(True)
        connection = await super().connect(*args, **kwargs)
        _QUEUED_FOR_POOL.set(False)
        return connection

    async def _create_connection(self, *args: Any, **kwargs: Any) -> Any:
        _QUEUED_FOR_POOL.set(False)
        return await super()._create_connection(*args, **kwargs)


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
