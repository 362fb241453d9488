"""An aiohttp cookie jar that keeps each origin's cookies apart (see ``requests_cookies`` for requests' side).

aiohttp's ``CookieJar`` matches by domain and path only, and by default
keeps no cookies from IP-address hosts. :class:`OriginCookieJar` holds one
standard jar per origin (scheme, host, port), each accepting IP hosts, and
sends a request only the cookies of its own origin. It overrides the jar's
public methods only.
"""

from __future__ import annotations

import itertools
from http.cookies import BaseCookie, Morsel, SimpleCookie
from typing import Any, Iterator, Optional, Sequence

import aiohttp
from yarl import URL

__all__ = ["OriginCookieJar"]

_Origin = tuple[str, str, Optional[int]]
_NO_URL = URL()


def _origin(url: URL) -> _Origin:
    return (url.scheme, (url.host or "").lower(), url.port)


class OriginCookieJar(aiohttp.CookieJar):
    """One ``aiohttp.CookieJar(unsafe=True)`` per origin; the outer jar stores nothing itself."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("unsafe", True)  # keep cookies from IP-address hosts, as requests does
        super().__init__(**kwargs)
        self._jar_kwargs = kwargs
        self._by_origin: dict[_Origin, aiohttp.CookieJar] = {}

    def _jar_for(self, url: URL) -> aiohttp.CookieJar:
        key = _origin(url)
        jar = self._by_origin.get(key)
        if jar is None:
            jar = self._by_origin[key] = aiohttp.CookieJar(**self._jar_kwargs)
        return jar

    def update_cookies(self, cookies: Any, response_url: URL = _NO_URL) -> None:
        if cookies:
            self._jar_for(response_url).update_cookies(cookies, response_url)

    def update_cookies_from_headers(self, headers: Sequence[str], response_url: URL) -> None:
        # aiohttp >= 3.12 stores cookies from the raw Set-Cookie headers through this method.
        if headers:
            self._jar_for(response_url).update_cookies_from_headers(headers, response_url)

    def filter_cookies(self, request_url: URL = _NO_URL) -> "BaseCookie[str]":
        if not self._by_origin:  # no cookie came yet (most API clients): no origin to work out
            return SimpleCookie()
        jar = self._by_origin.get(_origin(request_url))
        return SimpleCookie() if jar is None else jar.filter_cookies(request_url)

    def clear(self, predicate: Any = None) -> None:
        for jar in self._by_origin.values():
            jar.clear(predicate)

    def clear_domain(self, domain: str) -> None:
        for jar in self._by_origin.values():
            jar.clear_domain(domain)

    def __iter__(self) -> "Iterator[Morsel[str]]":
        return itertools.chain.from_iterable(self._by_origin.values())

    def __len__(self) -> int:
        return sum(len(jar) for jar in self._by_origin.values())
