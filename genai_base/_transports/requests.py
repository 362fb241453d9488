"""The blocking transport on ``requests``: session factory, sending, environment, urllib3's log lines.

The pool is bounded (``pool_size`` connections) and a call that finds no
free connection within ``Timeout.pool`` fails with ``PoolTimeoutError``;
uploads are bounded by ``Timeout.write`` and response heads are read safely
(:mod:`.requests_pool`); bodies are read against ``max_response_size`` and
the attempt's ``Timeout.total`` (:mod:`.requests_response`); errors are
mapped in :mod:`.requests_errors`.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from http.cookiejar import CookieJar
from typing import Any, Optional

import requests
import requests.cookies
import requests.utils
import urllib3.util
from requests.structures import CaseInsensitiveDict

from .._errors import APIConnectionError
from .._headers_check import check_sent_headers
from .._options import DEFAULT_MAX_RESPONSE_SIZE, Timeout
from .._redact import REDACTED, redact_text, redact_url
from .._request import PreparedRequest, origin_key
from .base import remember_template, warn_if_unverified
from .environment import split_userinfo
from .requests_cookies import OriginCookiePolicy
from .requests_errors import TRANSPORT_ERRORS, map_requests_error
from .requests_pool import BlockingPoolAdapter, attempt_timeout, current_attempt_timeout, proxy_authorization
from .requests_response import RequestsResponse

__all__ = [
    "BlockingPoolAdapter",
    "RequestsResponse",
    "RequestsTransport",
    "current_attempt_timeout",
    "install_urllib3_log_filter",
    "map_requests_error",
    "requests_session_factory",
    "requests_timeout",
]

log = logging.getLogger("genai_base")


def requests_timeout(timeout: Timeout) -> Optional[tuple[Optional[float], Optional[float]]]:
    """``(connect, read)`` for ``requests``, each capped by ``total``."""
    connect, read, total = timeout.connect, timeout.read, timeout.total
    if total is not None:
        connect = total if connect is None else min(connect, total)
        read = total if read is None else min(read, total)
    return None if connect is None and read is None else (connect, read)


# -- urllib3's own log lines -------------------------------------------------------


class _RedactingFilter(logging.Filter):
    """Rewrites urllib3's records with every query value and URL password redacted.

    urllib3 logs each request line at DEBUG (``"GET /v1/x?key=... HTTP/1.1" 200``);
    it cannot know which parameters carry credentials, so none of its query
    values are shown.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            text = record.getMessage()
        except Exception:  # a record that cannot be formatted: leave it to logging
            return True
        cleaned = redact_text(_QUERY_VALUE.sub(rf"\1{REDACTED}", text))
        if cleaned != text or record.args:
            record.msg, record.args = cleaned, ()
        return True


_QUERY_VALUE = re.compile(r"([?&][^=&\s\"'?]*=)[^&#\s\"']*")
_URLLIB3_LOGGERS = ("urllib3", "urllib3.connectionpool", "urllib3.connection", "urllib3.poolmanager",
                    "urllib3.response", "urllib3.util.retry")
_LOG_FILTER = _RedactingFilter()


def install_urllib3_log_filter() -> None:
    """Put the redacting filter on urllib3's loggers (idempotent; done when this module is imported)."""
    for name in _URLLIB3_LOGGERS:
        logger = logging.getLogger(name)
        if _LOG_FILTER not in logger.filters:
            logger.addFilter(_LOG_FILTER)


install_urllib3_log_filter()

def requests_session_factory(settings: Any) -> requests.Session:
    """A ``requests.Session`` with the pool size, proxies, TLS and ``trust_env`` settings."""
    session = requests.Session()
    # The library sends its own Accept and User-Agent: a request without one had it omitted by the caller.
    for name in ("Accept", "User-Agent"):
        session.headers.pop(name, None)
    session.cookies.set_policy(OriginCookiePolicy())  # cookies go back only to the origin that set them
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


# -- sending -----------------------------------------------------------------------


class RequestsTransport:
    """Sends prepared requests on one ``requests.Session`` (shared by a client and its copies).

    ``max_response_size`` bounds every response body it reads (``None``: no bound).
    """

    def __init__(
        self,
        session: requests.Session,
        *,
        max_response_size: Optional[int] = DEFAULT_MAX_RESPONSE_SIZE,
    ) -> None:
        self.session = session
        self.max_response_size = max_response_size
        # The templates (Headers.template_store) whose headers were checked already, kept with their
        # ids: a request carrying one as it is is not checked again.
        self._checked: dict[int, object] = {}
        self._env_by_origin: dict[str, dict[str, Any]] = {}
        self._env_lock = threading.Lock()


    def send(self, request: PreparedRequest) -> RequestsResponse:
        """Send ``request`` (no redirects followed) and return its response head."""
        sent = request.headers
        headers = sent.to_dict()
        store = sent.template_store()
        if store is None or id(store) not in self._checked:  # auth, policies, _prepare_request added some
            check_sent_headers(headers)
            if store is not None:
                remember_template(self._checked, store, store)
        if "user-agent" not in request.headers:  # omitted by the caller: urllib3 would send its own
            headers["User-Agent"] = urllib3.util.SKIP_HEADER
        timeout = request.timeout
        attempt_timeout.set(timeout)
        ends = None if timeout.total is None else time.monotonic() + timeout.total
        try:
            raw = self._send(request, headers)
        except TRANSPORT_ERRORS as exc:
            raise map_requests_error(exc, request) from exc
        status = raw.status_code
        if 100 <= status < 200 and status != 101:
            # Only a session without the library's adapter gets here: its connection holds the rest.
            raw.raw.close()
            raw.close()
            raise APIConnectionError(
                f"the server sent an informational {status} response that this session's transport cannot skip "
                f"(a session_factory without genai_base's BlockingPoolAdapter) "
                f"({request.method} {redact_url(request.url)})",
                request=request,
            )
        return RequestsResponse(raw, request, self.max_response_size, ends)

    def exchange(self, request: PreparedRequest) -> tuple[RequestsResponse, bytes]:
        """Send ``request`` (no redirects followed) and read its whole body: the response and the body."""
        response = self.send(request)
        return response, response.read()

    def _send(self, request: PreparedRequest, own: dict[str, str]) -> requests.Response:
        session = self.session
        url = request.url
        env = self._environment_for(url)
        if env["userinfo"]:  # user:password@ in the URL: Basic auth unless the request has its own
            url, credentials = split_userinfo(url)
            if credentials is not None and "authorization" not in request.headers:
                own = {**own, "Authorization": credentials}
        if env["tunnel"] is not None and "proxy-authorization" in request.headers:
            # An HTTPS origin through a proxy: the proxy reads this in the CONNECT; inside the
            # tunnel it would go to the origin.
            own = {k: v for k, v in own.items() if k.lower() != "proxy-authorization"}
            token = proxy_authorization.set(request.headers["proxy-authorization"])
        else:
            token = None
        try:
            return self._send_prepared(session, request, url, own, env)
        finally:
            if token is not None:
                proxy_authorization.reset(token)

    def _send_prepared(
        self, session: requests.Session, request: PreparedRequest, url: str, own: dict[str, str], env: dict[str, Any]
    ) -> requests.Response:
        # Prepared directly: Session.prepare_request would copy the cookie jar and look for
        # ~/.netrc on every call. The session's headers, cookies and hooks still apply; netrc
        # credentials are found once per origin. Header values were checked in send().
        auth = session.auth or env["netrc_auth"]
        prepared = requests.PreparedRequest()
        body = request.content
        if auth is None and not session.cookies and (body is None or type(body) is bytes):
            prepared.method = request.method
            prepared.url = _prepared_url(url)
            headers: CaseInsensitiveDict[Any] = CaseInsensitiveDict(session.headers)
            headers.update(own)
            if body is not None:
                headers["Content-Length"] = str(len(body))
            elif request.method not in ("GET", "HEAD"):
                headers["Content-Length"] = "0"
            prepared.headers = headers
            prepared.body = body
            attach_empty_jar(prepared, session.cookies)  # a redirect's next request reads it back
            prepared.hooks = session.hooks
        else:
            has_own = any(name.lower() == "authorization" for name in own)
            prepared.prepare(
                method=request.method,
                url=url,
                headers={**session.headers, **own},
                data=body,
                cookies=session.cookies,
                hooks=session.hooks,
                auth=auth if auth and not has_own else None,
            )
        return session.send(
            prepared, timeout=requests_timeout(request.timeout), allow_redirects=False, stream=True, **env["send"]
        )

    def _environment_for(self, url: str) -> dict[str, Any]:
        # requests merges proxies/verify/cert (and netrc) from the environment on every
        # Session.request; do it once per origin instead (same trust_env rules).
        origin = origin_key(url)
        cached = self._env_by_origin.get(origin)
        if cached is None:
            session = self.session
            # A configured CA bundle or verify=False must beat REQUESTS_CA_BUNDLE,
            # which requests would otherwise prefer over the session's setting.
            configured = None if session.verify is True else session.verify
            merged = session.merge_environment_settings(url, {}, None, configured, None)
            verify = merged["verify"]
            proxy = requests.utils.select_proxy(url, merged["proxies"])
            if origin.startswith("http:") and not proxy:
                verify = True  # no TLS on this origin: a CA bundle path would only cost a stat() per request
            cached = {
                "send": {"proxies": merged["proxies"], "verify": verify, "cert": merged["cert"]},
                "netrc_auth": requests.utils.get_netrc_auth(url) if session.trust_env and not session.auth else None,
                # The proxy an HTTPS origin is tunnelled through, if any.
                "tunnel": proxy if proxy and origin.lower().startswith("https:") else None,
                "userinfo": "@" in origin,
            }
            with self._env_lock:
                if len(self._env_by_origin) >= 256:  # a client calling many hosts: keep the cache bounded
                    self._env_by_origin.clear()
                self._env_by_origin[origin] = cached
        return cached

    def close(self) -> None:
        """Close the session's pools."""
        self.session.close()


_ABSENT = object()


def empty_jar_shortcut_supported(prepared_class: type[requests.PreparedRequest] = requests.PreparedRequest) -> bool:
    """Probe: does ``PreparedRequest.prepare_cookies`` keep the jar in ``_cookies``, adding nothing for an empty one?

    requests reads that attribute back when it works out a redirect's next
    request (``Session.send`` does so even with ``allow_redirects=False``).
    """
    try:
        prepared = prepared_class()
        if getattr(prepared, "_cookies", _ABSENT) is not None:
            return False
        prepared.url, prepared.headers = "http://probe.invalid/", CaseInsensitiveDict()
        jar = requests.cookies.RequestsCookieJar()
        prepared.prepare_cookies(jar)
        return getattr(prepared, "_cookies", None) is jar and not prepared.headers
    except Exception:  # a requests that prepares differently: use its public method
        return False


_EMPTY_JAR_SHORTCUT = empty_jar_shortcut_supported()


def attach_empty_jar(prepared: requests.PreparedRequest, jar: CookieJar, shortcut: Optional[bool] = None) -> None:
    """What ``prepared.prepare_cookies(jar)`` does for an empty ``jar``, without its cookie-policy pass.

    That pass (a mock request, the jar's lock, an expiry sweep) finds nothing
    in an empty jar. Without the probe's say-so (``shortcut``, by default the
    probe's answer), the public method runs.
    """
    if _EMPTY_JAR_SHORTCUT if shortcut is None else shortcut:
        prepared._cookies = jar  # type: ignore[attr-defined]  # as prepare_cookies sets it (probed)
    else:
        prepared.prepare_cookies(jar)


_PREPARED_URLS: dict[str, str] = {}


def _prepared_url(url: str) -> str:
    """``PreparedRequest.prepare_url`` (IDNA, requoting), once per URL string."""
    found = _PREPARED_URLS.get(url)
    if found is None:
        p = requests.PreparedRequest()
        p.prepare_url(url, None)
        found = str(p.url)
        if len(_PREPARED_URLS) >= 1024:
            _PREPARED_URLS.clear()
        _PREPARED_URLS[url] = found
    return found
