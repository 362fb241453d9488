"""Proxies and netrc credentials from the environment, by the standard library's rules.

The async transport applies these itself (aiohttp would look them up in a
worker thread on every request); ``requests`` does the same from its own
``trust_env`` code. Blocking: netrc is a file, so the async transport runs
:func:`environment_for` in a thread, once per origin.
"""

from __future__ import annotations

import base64
import netrc
import os
import urllib.request
from dataclasses import dataclass, field
from typing import Any, Optional
from urllib.parse import unquote, urlsplit, urlunsplit

__all__ = ["OriginEnvironment", "environment_for", "basic_authorization", "netrc_file"]


def basic_authorization(user: str, password: str) -> str:
    """The value of a ``Basic`` ``Authorization`` (or ``Proxy-Authorization``) header."""
    return "Basic " + base64.b64encode(f"{user}:{password}".encode("latin-1")).decode("ascii")


@dataclass(frozen=True)
class OriginEnvironment:
    """What the environment adds to requests for one origin."""

    #: The proxy URL (credentials removed), or None.
    proxy: Optional[str] = None
    #: Headers for the proxy's CONNECT (an HTTPS origin through a proxy).
    proxy_headers: dict[str, str] = field(default_factory=dict)
    #: Headers added to the request itself unless it has its own (netrc, plain-HTTP proxy credentials).
    headers: dict[str, str] = field(default_factory=dict)


def _split_proxy(proxy: str) -> tuple[str, Optional[str]]:
    parts = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
    if parts.username is None:
        return urlunsplit(parts), None
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    auth = basic_authorization(unquote(parts.username), unquote(parts.password or ""))
    return urlunsplit(parts._replace(netloc=netloc)), auth


def netrc_file() -> Optional[str]:
    """The netrc file the environment names (``NETRC``, else ``~/.netrc``) if there is one."""
    path = os.environ.get("NETRC") or os.path.join(os.path.expanduser("~"), ".netrc")
    return path if os.path.isfile(path) else None


def _netrc_authorization(host: str) -> Optional[str]:
    path = netrc_file()
    if path is None:
        return None
    try:
        entry = netrc.netrc(path).authenticators(host)
    except (netrc.NetrcParseError, OSError):
        return None
    if entry is None:
        return None
    login, _, password = entry
    return basic_authorization(login or "", password or "")


def environment_for(url: str, proxies: Any, trust_env: bool) -> OriginEnvironment:
    """Proxy and netrc credentials for ``url``: configured ``proxies``, then (``trust_env``) the environment."""
    parts = urlsplit(url)
    scheme, host = parts.scheme, parts.hostname or ""
    proxy: Optional[str] = None
    if proxies:
        proxy = proxies if isinstance(proxies, str) else proxies.get(scheme)
    if proxy is None and trust_env:
        env_proxies = urllib.request.getproxies()
        candidate = env_proxies.get(scheme) or env_proxies.get("all")
        if candidate and not urllib.request.proxy_bypass(host):
            proxy = candidate
    proxy_headers: dict[str, str] = {}
    headers: dict[str, str] = {}
    if proxy:
        proxy, proxy_auth = _split_proxy(proxy)
        if proxy_auth is not None:
            if scheme == "https":  # to the proxy in the CONNECT that opens the tunnel
                proxy_headers["Proxy-Authorization"] = proxy_auth
            else:  # a plain-HTTP proxy reads it off the request itself
                headers["Proxy-Authorization"] = proxy_auth
    if trust_env:
        found = _netrc_authorization(host)
        if found is not None:
            headers["Authorization"] = found
    return OriginEnvironment(proxy=proxy, proxy_headers=proxy_headers, headers=headers)
