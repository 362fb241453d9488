"""The built-in ``requests`` session factory, and the session factory protocols.

Each factory is a component (``SessionFactory`` / ``AsyncSessionFactory``):
called with the client's settings, it returns a configured session. The
aiohttp one lives in :mod:`genai_base._aiohttp_session`, so that importing
the library does not import aiohttp until an async client needs it.

The pool is bounded (``pool_size`` connections) and a call that finds no
free connection within ``Timeout.pool`` fails with ``PoolTimeoutError``:
the adapter's pools block (``pool_block=True``) and every pool is given the
attempt's pool timeout, read from :data:`genai_base._options.ATTEMPT_TIMEOUT`
(``requests`` has no way to pass it through ``Session.send``); urllib3 then
raises ``EmptyPoolError``.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Optional, Protocol

import urllib3
from requests.adapters import HTTPAdapter

from ._options import ATTEMPT_TIMEOUT

if TYPE_CHECKING:
    import aiohttp
    import requests

    from ._settings import Settings

__all__ = ["SessionFactory", "AsyncSessionFactory", "requests_session_factory"]

log = logging.getLogger("genai_base")
_warned_unverified = False


class SessionFactory(Protocol):
    """Makes the ``requests.Session`` a sync client sends with."""

    def __call__(self, settings: "Settings") -> "requests.Session": ...


class AsyncSessionFactory(Protocol):
    """Makes the ``aiohttp.ClientSession`` an async client sends with (called inside the running loop)."""

    def __call__(self, settings: "Settings") -> "aiohttp.ClientSession": ...


def warn_if_unverified(verify: Any) -> None:
    global _warned_unverified
    if verify is False and not _warned_unverified:
        _warned_unverified = True
        log.warning("TLS certificate verification is disabled (verify=False); connections can be intercepted")


# -- pool timeouts on requests ----------------------------------------------------------

_DEFAULT_POOL_TIMEOUT = 60.0  # DEFAULT_TIMEOUT.pool, for a session used outside a client call


def _pool_timeout() -> Optional[float]:
    timeout = ATTEMPT_TIMEOUT.get()
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
    warn_if_unverified(settings["verify"])
    if settings["cert"]:
        session.cert = settings["cert"]
    proxies = settings["proxies"]
    if proxies:
        session.proxies.update({"http": proxies, "https": proxies} if isinstance(proxies, str) else proxies)
    return session
