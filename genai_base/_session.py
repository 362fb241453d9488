"""The built-in session factories: a ``requests.Session`` and an ``aiohttp.ClientSession``.

Each is a component (``SessionFactory`` / ``AsyncSessionFactory``): called
with the client's settings, it returns a configured session.
"""

from __future__ import annotations

import logging
import ssl
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import aiohttp
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


def requests_session_factory(settings: "Settings") -> "requests.Session":
    """A ``requests.Session`` with the pool size, proxies, TLS and ``trust_env`` settings."""
    import requests
    from requests.adapters import HTTPAdapter

    session = requests.Session()
    adapter = HTTPAdapter(pool_connections=settings["pool_keepalive"] or 1, pool_maxsize=settings["pool_size"])
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


def aiohttp_session_factory(settings: "Settings") -> "aiohttp.ClientSession":
    """An ``aiohttp.ClientSession`` with the pool size, TLS and ``trust_env`` settings."""
    import aiohttp

    connector = aiohttp.TCPConnector(
        limit=settings["pool_size"],
        ssl=ssl_context_for(settings["verify"], settings["cert"]),
    )
    # Redirects, timeouts and retries are the client's; the session only moves bytes.
    session = aiohttp.ClientSession(connector=connector, trust_env=settings["trust_env"], auto_decompress=True)
    # aiohttp quietly resends an idempotent request once when a kept-alive
    # connection drops; the retry policy already covers that, and a hidden
    # extra attempt would make the two shells disagree on what was sent.
    if hasattr(session, "_retry_connection"):
        session._retry_connection = False
    return session
