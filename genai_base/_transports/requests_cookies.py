"""Cookies stay with the origin that set them: ``requests``' side (aiohttp's is in ``aiohttp_cookies``).

``http.cookiejar`` matches cookies by domain and path only: a cookie set by
``http://host:8001`` would go to ``http://host:8002`` or ``https://host``
too. :class:`OriginCookiePolicy` records the origin (scheme, host, port) a
cookie came from when it is accepted, and lets it be sent back only there.
It uses ``http.cookiejar``'s public policy API; a cookie put in the jar by
hand (no recorded origin) follows the standard rules.
"""

from __future__ import annotations

import http.cookiejar
from typing import Any

from .._request import origin_of

__all__ = ["OriginCookiePolicy", "ORIGIN_ATTR"]

#: The nonstandard cookie attribute holding ``scheme://host:port`` of the origin that set it.
ORIGIN_ATTR = "X-Genai-Origin"


def _origin_text(url: str) -> str:
    scheme, host, port = origin_of(url)
    return f"{scheme}://{host}:{port}"


class OriginCookiePolicy(http.cookiejar.DefaultCookiePolicy):
    """The default policy, plus: a cookie is returned only to the origin that set it."""

    def set_ok(self, cookie: http.cookiejar.Cookie, request: Any) -> bool:
        if not super().set_ok(cookie, request):
            return False
        cookie.set_nonstandard_attr(ORIGIN_ATTR, _origin_text(request.get_full_url()))
        return True

    def return_ok(self, cookie: http.cookiejar.Cookie, request: Any) -> bool:
        recorded = cookie.get_nonstandard_attr(ORIGIN_ATTR)
        if recorded is not None and recorded != _origin_text(request.get_full_url()):
            return False
        return super().return_ok(cookie, request)
