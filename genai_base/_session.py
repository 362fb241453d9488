"""The built-in session factories: a ``requests.Session`` and an ``aiohttp.ClientSession``.

Each is a component (``SessionFactory`` / ``AsyncSessionFactory``): called
with the client's settings, it returns a configured session.

Both pools are bounded (``pool_size`` connections) and a call that finds no
free connection within ``Timeout.pool`` fails with ``PoolTimeoutError``:

- requests: the adapter's pools block (``pool_block=True``) and every pool
  is given the attempt's pool timeout, read from
  :data:`genai_base._call.ATTEMPT_TIMEOUT` (``requests`` has no way to pass
  it through ``Session.send``); urllib3 then raises ``EmptyPoolError``.
- aiohttp: one timer (``ClientTimeout.connect``, set to pool + connect)
  covers both waiting for a free connection slot and connecting, and both
  end in the same ``ConnectionTimeoutError``. :class:`PoolAwareConnector`
  tells them apart: it marks a context variable when ``connect`` starts and
  clears it when ``_create_connection`` starts (the slot is ours) or
  ``connect`` returns, so a timeout (the connect timer's, or the ``total``
  one's) raised with the mark still set (:func:`timed_out_waiting_for_pool`)
  fired while the pool was exhausted.
  Context variables are per task, so concurrent calls never see each
  other's mark; the cost is one extra coroutine frame per request (a trace
  config would do the same with public signals but costs ~10 us a request).
  A session from a third-party factory without this connector reports its
  pool timeouts as connect timeouts.
"""

from __future__ import annotations

import logging
import ssl
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, Optional, Protocol

import aiohttp
import urllib3
from requests.adapters import HTTPAdapter

if TYPE_CHECKING:
    import requests

    from ._settings import Settings

__all__ = ["SessionFactory", "AsyncSessionFactory", "requests_session_factory", "aiohttp_session_factory"]

log = logging.getLogger("genai_base")
_warned_unverified = False


class SessionFactory(Protocol):
    """Makes the ``requests.Session`` a sync client sends with."""

    def __call__(self, settings: "Settings") -> "requests.Session": ...


class AsyncSessionFactory(Protocol):
    """Makes the ``aiohttp.ClientSession`` an async client sends with (called inside the running loop)."""

    def __call__(self, settings: "Settings") -> "aiohttp.ClientSession": ...


def _warn_if_unverified(verify: Any) -> None:
    global _warned_unverified
    if verify is False and not _warned_unverified:
        _warned_unverified = True
        log.warning("TLS certificate verification is disabled (verify=False); connections can be intercepted")


# -- pool timeouts on requests ----------------------------------------------------------

_DEFAULT_POOL_TIMEOUT = 60.0  # DEFAULT_TIMEOUT.pool, for a session used outside a client call


def _pool_timeout() -> Optional[float]:
    from ._call import current_attempt_timeout

    timeout = current_attempt_timeout()
    return _DEFAULT_POOL_TIMEOUT if timeout is None else timeout.pool


class _PoolTimeoutMixin:
    """Gives ``urlopen`` the attempt's pool timeout when the caller (requests) passes none."""

    def urlopen(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        if len(args) < 7 and kwargs.get("pool_timeout") is None:  # pool_timeout is urlopen's 9th parameter
            kwargs["pool_timeout"] = _pool_timeout()
        return super().urlopen(method, url, *args, **kwargs)  # type: ignore[misc]


_TIMED_POOL_CLASSES: dict[type, type] = {}


def _with_pool_timeout(manager: Any) -> Any:
    """Make ``manager`` (a urllib3 PoolManager or ProxyManager) build pools that honour the pool timeout."""
    classes = {}
    for scheme, cls in manager.pool_classes_by_scheme.items():
        if not issubclass(cls, _PoolTimeoutMixin):
            timed = _TIMED_POOL_CLASSES.get(cls)
            if timed is None:
                timed = type(cls.__name__, (_PoolTimeoutMixin, cls), {"__module__": __name__})
                _TIMED_POOL_CLASSES[cls] = timed
            cls = timed
        classes[scheme] = cls
    manager.pool_classes_by_scheme = classes
    return manager


class BlockingPoolAdapter(HTTPAdapter):
    """An ``HTTPAdapter`` whose pools hold at most ``pool_maxsize`` connections and wait for a free one.

    The wait is bounded by the attempt's ``Timeout.pool``; past it urllib3
    raises ``EmptyPoolError`` (the client's ``PoolTimeoutError``).
    """

    def __init__(self, pool_connections: int = 10, pool_maxsize: int = 10, max_retries: Any = 0) -> None:
        super().__init__(
            pool_connections=pool_connections, pool_maxsize=pool_maxsize, max_retries=max_retries, pool_block=True
        )

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        _with_pool_timeout(self.poolmanager)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> urllib3.ProxyManager:
        return _with_pool_timeout(super().proxy_manager_for(proxy, **proxy_kwargs))  # type: ignore[no-any-return]


def requests_session_factory(settings: "Settings") -> "requests.Session":
    """A ``requests.Session`` with the pool size, proxies, TLS and ``trust_env`` settings."""
    import requests

    session = requests.Session()
    adapter = BlockingPoolAdapter(pool_connections=settings["pool_keepalive"] or 1, pool_maxsize=settings["pool_size"])
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.trust_env = settings["trust_env"]
    session.verify = settings["verify"]
    _warn_if_unverified(settings["verify"])
    if settings["cert"]:
        session.cert = settings["cert"]
    proxies = settings["proxies"]
    if proxies:
        session.proxies.update({"http": proxies, "https": proxies} if isinstance(proxies, str) else proxies)
    return session


def ssl_context_for(verify: Any, cert: Any) -> Any:
    """aiohttp's ``ssl=`` value for a requests-style ``verify`` and ``cert``."""
    _warn_if_unverified(verify)
    if verify is False:
        return False
    context = ssl.create_default_context(cafile=verify if isinstance(verify, str) else None)
    if cert:
        certfile, keyfile = (cert, None) if isinstance(cert, str) else cert
        context.load_cert_chain(certfile, keyfile)
    return context


# -- pool timeouts on aiohttp -------------------------------------------------------------

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
