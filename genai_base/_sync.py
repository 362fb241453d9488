"""The sync client: :class:`SyncAPIClient`, an I/O shell on ``requests`` over the shared core."""

from __future__ import annotations

import time
from collections import OrderedDict
from typing import Any, Mapping, Optional, TypeVar

import requests
import urllib3.exceptions

from ._auth import ResponseHead
from ._base import BaseClient
from ._call import REDIRECT_STATUSES, Attempt, Call, retrying
from ._errors import APIConnectionError, APIError, APITimeoutError, PoolTimeoutError, StreamInterruptedError
from ._options import ATTEMPT_TIMEOUT, FinalRequestOptions, RequestOptions
from ._request import PreparedRequest, origin_key
from ._response import APIResponse

__all__ = ["SyncAPIClient"]

T = TypeVar("T")
# "with MySDK(...) as client" gives a MySDK to the type checker, not a SyncAPIClient.
_Client = TypeVar("_Client", bound="SyncAPIClient")


class _SharedSync:
    """What a client and its copies share: the session (the pool) and the retry policy."""

    def __init__(self, session: requests.Session, retry_policy: Any) -> None:
        self.session = session
        self.retry_policy = retry_policy
        self.closed = False
        self.env_by_origin: dict[Any, dict[str, Any]] = {}


def map_requests_error(exc: BaseException, request: PreparedRequest) -> APIError:
    """The library's exception for a ``requests``/``urllib3`` one."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return APITimeoutError(f"connect timed out ({request.method} {request.url})", request=request)
    # A timeout while reading the body surfaces as ConnectionError(ReadTimeoutError).
    cause = exc.args[0] if isinstance(exc, requests.exceptions.ConnectionError) and exc.args else None
    if isinstance(exc, (requests.exceptions.Timeout, urllib3.exceptions.ReadTimeoutError)) or isinstance(
        cause, urllib3.exceptions.ReadTimeoutError
    ):
        return APITimeoutError(f"read timed out ({request.method} {request.url})", request=request)
    if isinstance(exc, urllib3.exceptions.EmptyPoolError) or "Pool is empty" in str(exc):
        # The adapter's pools block (see _session.BlockingPoolAdapter); this is its pool timeout.
        pool = request.timeout.pool
        within = "" if pool is None else f" within {pool:g}s"
        return PoolTimeoutError(
            f"no pooled connection became free{within} ({request.method} {request.url})", request=request
        )
    if isinstance(exc, (requests.exceptions.ChunkedEncodingError, urllib3.exceptions.ProtocolError)):
        return StreamInterruptedError(f"the response was cut off: {exc}", request=request)
    return APIConnectionError(f"connection error: {exc}", request=request)


class SyncAPIClient(BaseClient):
    """A client on a ``requests.Session``: build, send, retry and parse, synchronously."""

    def __init__(self, **kwargs: Any) -> None:
        shared: Optional[_SharedSync] = kwargs.get("_shared")
        super().__init__(**kwargs)
        if shared is None:
            session = self._container.session_factory()(self._settings)
            shared = _SharedSync(session, self._retry_policy)
        self._shared = shared
        self._attempt_with_retries = retrying(self._attempt)

    # -- public API ------------------------------------------------------

    def request(
        self,
        cast_to: Any,
        options: FinalRequestOptions,
        *,
        stream: bool = False,
        stream_cls: Optional[type] = None,
    ) -> Any:
        """Send ``options``, retrying as the policy says, and return ``cast_to`` (or a stream)."""
        if self._shared.closed:
            raise APIConnectionError("the client is closed")
        call = Call(self, options, cast_to)
        attempt: Attempt = self._attempt(call, stream)
        if not attempt.ok:  # backoff's loop takes it from here (the call kept this attempt for it)
            attempt = self._attempt_with_retries(call, stream)
        result, wrap = call.conclude(attempt, APIResponse, stream)
        return self._make_stream(stream_cls, cast_to, result) if wrap else result

    def get(
        self,
        path: str,
        *,
        cast_to: Any,
        options: RequestOptions = {},
        stream: bool = False,
        stream_cls: Optional[type] = None,
    ) -> Any:
        """``GET path``."""
        return self.request(
            cast_to, FinalRequestOptions(method="get", url=path, **options), stream=stream, stream_cls=stream_cls
        )

    def post(
        self,
        path: str,
        *,
        cast_to: Any,
        body: Any = None,
        content: Any = None,
        files: Any = None,
        options: RequestOptions = {},
        stream: bool = False,
        stream_cls: Optional[type] = None,
    ) -> Any:
        """``POST path`` with a JSON ``body``, raw ``content`` or multipart ``files``."""
        return self.request(
            cast_to,
            self._verb_options("post", path, body, content, files, options),
            stream=stream,
            stream_cls=stream_cls,
        )

    def put(
        self,
        path: str,
        *,
        cast_to: Any,
        body: Any = None,
        content: Any = None,
        files: Any = None,
        options: RequestOptions = {},
    ) -> Any:
        """``PUT path``."""
        return self.request(
            cast_to,
            self._verb_options("put", path, body, content, files, options),
            stream=False,
            stream_cls=None,
        )

    def patch(
        self,
        path: str,
        *,
        cast_to: Any,
        body: Any = None,
        content: Any = None,
        files: Any = None,
        options: RequestOptions = {},
    ) -> Any:
        """``PATCH path``."""
        return self.request(
            cast_to,
            self._verb_options("patch", path, body, content, files, options),
            stream=False,
            stream_cls=None,
        )

    def delete(
        self, path: str, *, cast_to: Any, body: Any = None, content: Any = None, options: RequestOptions = {}
    ) -> Any:
        """``DELETE path``."""
        return self.request(
            cast_to,
            self._verb_options("delete", path, body, content, None, options),
            stream=False,
            stream_cls=None,
        )

    def get_api_list(
        self,
        path: str,
        *,
        model: Any,
        paginator: Any = None,
        body: Any = None,
        options: RequestOptions = {},
        method: str = "get",
    ) -> Any:
        """The first page of a listing; iterating it yields every item across all pages."""
        from ._pagination import SyncPage

        return SyncPage.first(self, path, model=model, paginator=paginator, body=body, options=options, method=method)

    def copy(self, **overrides: Any) -> "SyncAPIClient":
        """A client configured like this one with ``overrides``, sharing its connection pool."""
        return type(self)(**self._copy_kwargs(overrides), _shared=self._shared)

    with_options = copy

    def close(self) -> None:
        """Close the connection pool (shared with copies)."""
        if not self._shared.closed:
            self._shared.closed = True
            self._shared.session.close()

    def is_closed(self) -> bool:
        """True once :meth:`close` was called on this client or a copy."""
        return self._shared.closed

    def __enter__(self: _Client) -> _Client:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    # -- I/O ---------------------------------------------------------------

    def _make_stream(self, stream_cls: Optional[type], cast_to: Any, response: APIResponse[Any]) -> Any:
        from ._streaming import Stream, stream_item_type

        return (stream_cls or Stream)(cast_to=stream_item_type(stream_cls, cast_to), response=response, client=self)

    def _attempt(self, call: Call, stream: bool) -> Attempt:
        request = call.next_request()
        # requests has no way to hand the pool timeout to urllib3; the adapter reads it here.
        ATTEMPT_TIMEOUT.set(request.timeout)
        started = time.monotonic()
        raw = None
        try:
            sent = request
            while True:  # the hops of the redirects the call follows
                raw = self._send_handling_auth(sent) if call.signing else self._send_once(sent)
                if raw.status_code not in REDIRECT_STATUSES:
                    break
                following = call.redirect(sent, raw.status_code, raw.headers)
                if following is None:
                    break
                raw.close()
                raw, sent = None, following
            content = None
            if not stream or not call.accepts(raw.status_code):
                content = raw.content  # read here so a cut body is retried like any failed attempt
                raw.close()
        except (requests.RequestException, urllib3.exceptions.HTTPError) as exc:
            if raw is not None:
                raw.close()
            return call.failed(request, map_requests_error(exc, request), started)
        except APIError as exc:
            if raw is not None:
                raw.close()
            return call.failed(request, exc, started)
        return call.received(request, raw, raw.status_code, raw.headers, content, started)

    def _send_handling_auth(self, request: PreparedRequest) -> requests.Response:
        flow = self._auth.auth_flow(request)
        signed = next(flow)
        while True:
            raw = self._send_once(signed)
            try:
                signed = flow.send(ResponseHead(raw.status_code, raw.headers))
            except StopIteration:
                return raw
            raw.close()

    def _send_once(self, request: PreparedRequest) -> requests.Response:
        session = self._shared.session
        env = self._environment_for(request.url)
        # Prepared directly: Session.prepare_request would copy the cookie jar and
        # look for ~/.netrc on every call. The session's headers, cookies and
        # hooks still apply; netrc credentials are found once per origin.
        auth = session.auth or env["netrc_auth"]
        fast = _lean_prepare(session, request) if auth is None else None
        if fast is not None:
            return session.send(
                fast, timeout=request.timeout.as_requests_timeout(), allow_redirects=False, stream=True, **env["send"]
            )
        prepared = requests.PreparedRequest()
        prepared.prepare(
            method=request.method,
            url=request.url,
            headers={**session.headers, **request.headers},
            data=request.content if request.files is None else request.form,
            files=request.files,
            cookies=session.cookies,
            hooks=session.hooks,
            auth=auth if auth and not any(k.lower() == "authorization" for k in request.headers) else None,
        )
        return session.send(
            prepared,
            timeout=request.timeout.as_requests_timeout(),
            allow_redirects=False,
            stream=True,
            **env["send"],
        )

    def _environment_for(self, url: str) -> dict[str, Any]:
        # requests merges proxies/verify/cert (and netrc) from the environment on
        # every Session.request; do it once per origin instead (same trust_env rules).
        origin = origin_key(url)
        cached = self._shared.env_by_origin.get(origin)
        if cached is None:
            session = self._shared.session
            # A configured CA bundle or verify=False must beat REQUESTS_CA_BUNDLE,
            # which requests would otherwise prefer over the session's setting.
            configured = None if session.verify is True else session.verify
            merged = session.merge_environment_settings(url, {}, None, configured, None)
            verify = merged["verify"]
            if origin.startswith("http:") and not requests.utils.select_proxy(url, merged["proxies"]):
                # No TLS on this origin: a CA bundle path only costs requests a stat() per request.
                verify = True
            cached = {
                "send": {"proxies": merged["proxies"], "verify": verify, "cert": merged["cert"]},
                "netrc_auth": requests.utils.get_netrc_auth(url) if session.trust_env and not session.auth else None,
            }
            self._shared.env_by_origin[origin] = cached
        return cached


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


# requests keeps a CaseInsensitiveDict as ``_store``: ``lower name -> (name, value)``, an
# OrderedDict. Checked once: with another layout, the merge takes the public (slower) way.
_REQUESTS_HEADER_LAYOUT = type(getattr(requests.structures.CaseInsensitiveDict(), "_store", None)) is OrderedDict


def _merged_headers(
    session_headers: Mapping[str, Any], own: dict[str, str]
) -> "requests.structures.CaseInsensitiveDict[str]":
    """The session's headers overlaid with ``own``, case-insensitively, as ``requests`` keeps them."""
    merged: requests.structures.CaseInsensitiveDict[str] = requests.structures.CaseInsensitiveDict()
    if not _REQUESTS_HEADER_LAYOUT or type(session_headers) is not requests.structures.CaseInsensitiveDict:
        # Not the layout this was written against: the public (slower) way.
        merged.update({k: v if isinstance(v, str) else v.decode("latin-1") for k, v in session_headers.items()})
        merged.update(own)
        return merged
    # requests keeps ``lower name -> (name, value)`` in ``_store``; filling it directly
    # saves a Python-level __setitem__ per header (a dozen or more on every request).
    store = merged._store  # type: ignore[attr-defined]
    for lower, (name, value) in session_headers._store.items():  # type: ignore[attr-defined]
        store[lower] = (name, value if isinstance(value, str) else value.decode("latin-1"))
    for name, value in own.items():
        store[name.lower()] = (name, value)
    return merged


def _lean_prepare(session: requests.Session, request: PreparedRequest) -> Optional[requests.PreparedRequest]:
    """What ``PreparedRequest.prepare`` makes for a bytes-or-no body, no cookies and no auth; else None."""
    body = request.content
    if request.files is not None or not (body is None or type(body) is bytes) or session.cookies:
        return None
    p = requests.PreparedRequest()
    p.method = request.method
    p.url = _prepared_url(request.url)
    headers = _merged_headers(session.headers, request.headers)
    if body is not None:
        headers["Content-Length"] = str(len(body))
    elif request.method not in ("GET", "HEAD"):
        headers["Content-Length"] = "0"
    p.headers = headers
    p.body = body
    p._cookies = requests.cookies.RequestsCookieJar()  # type: ignore[attr-defined]  # read on redirects
    hooks = session.hooks.get("response")
    if hooks:
        p.hooks = {"response": list(hooks)}
    return p
