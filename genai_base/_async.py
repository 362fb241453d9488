"""The async client: :class:`AsyncAPIClient`, an I/O shell on ``aiohttp`` over the shared core."""

from __future__ import annotations

import asyncio
import functools
import time
from typing import Any, Optional, TypeVar

import aiohttp

from ._aiohttp_session import forget_pool_wait, pool_wait_marked, timed_out_waiting_for_pool
from ._auth import ResponseHead
from ._base import BaseClient
from ._call import REDIRECT_STATUSES, Attempt, Call, retrying
from ._errors import APIConnectionError, APIError, APITimeoutError, StreamInterruptedError
from ._options import FinalRequestOptions, RequestOptions, Timeout
from ._request import RETRY_COUNT_HEADER, PreparedRequest, origin_key
from ._response import AsyncAPIResponse

__all__ = ["AsyncAPIClient"]


# "async with MySDK(...) as client" gives a MySDK to the type checker, not an AsyncAPIClient.
_Client = TypeVar("_Client", bound="AsyncAPIClient")


class _SharedAsync:
    """What a client and its copies share: the session (made lazily in the loop) and the retry policy."""

    def __init__(self, retry_policy: Any) -> None:
        self.session: Optional[aiohttp.ClientSession] = None
        self.retry_policy = retry_policy
        self.closed = False
        self.env_by_origin: dict[Any, dict[str, Any]] = {}


def environment_for(url: str, settings: Any) -> dict[str, Any]:
    """Proxy and netrc credentials for ``url`` from settings and (with trust_env) the environment.

    Returns ``{"send": <extra aiohttp request arguments>, "headers": <headers to add unless set>}``.
    Credentials travel as headers: aiohttp's ``auth=`` and ``proxy_auth=`` are deprecated.
    Blocking (it may read ~/.netrc): the client runs it in a thread once per origin.
    """
    from aiohttp.helpers import basicauth_from_netrc, get_env_proxy_for_url, netrc_from_env
    from yarl import URL

    target = URL(url)
    send: dict[str, Any] = {}
    headers: dict[str, str] = {}
    proxies = settings["proxies"]
    if proxies:
        proxy = proxies if isinstance(proxies, str) else proxies.get(target.scheme)
        if proxy:
            send["proxy"] = proxy
    if settings["trust_env"]:
        if "proxy" not in send:
            try:
                send["proxy"], proxy_auth = get_env_proxy_for_url(target)
            except LookupError:
                pass
            else:
                if proxy_auth is not None:
                    value = proxy_auth.encode()
                    if target.scheme == "https":  # to the proxy in the CONNECT that opens the tunnel
                        send["proxy_headers"] = {"Proxy-Authorization": value}
                    else:  # a plain-HTTP proxy reads it off the request itself
                        headers["Proxy-Authorization"] = value
        try:
            headers["Authorization"] = basicauth_from_netrc(netrc_from_env(), target.host or "").encode()
        except LookupError:
            pass
    return {"send": send, "headers": headers}


def map_aiohttp_error(exc: BaseException, request: PreparedRequest) -> APIError:
    """The library's exception for an ``aiohttp``/``asyncio`` one."""
    where = f"({request.method} {request.url})"
    if isinstance(exc, (asyncio.TimeoutError, aiohttp.ServerTimeoutError)):
        from ._errors import PoolTimeoutError

        # aiohttp's connect (and total) timer also covers the pool wait; the connector tells which it was.
        if timed_out_waiting_for_pool():
            return PoolTimeoutError(
                f"no pooled connection became free{_within(request.timeout.pool)} {where}", request=request
            )
        if isinstance(exc, aiohttp.ConnectionTimeoutError):
            return APITimeoutError(f"connect timed out {where}", request=request)
        return APITimeoutError(f"read timed out {where}", request=request)
    if isinstance(exc, (aiohttp.ClientPayloadError, aiohttp.ServerDisconnectedError)):
        return StreamInterruptedError(f"the response was cut off: {exc} {where}", request=request)
    return APIConnectionError(f"connection error: {exc} {where}", request=request)


def _within(seconds: Optional[float]) -> str:
    return "" if seconds is None else f" within {seconds:g}s"


@functools.lru_cache(maxsize=256)
def client_timeout(timeout: Timeout) -> aiohttp.ClientTimeout:
    """aiohttp's timeouts for ours (cached: Timeout is immutable and hashable)."""
    # aiohttp's ``connect`` covers waiting for a pooled connection and connecting.
    pool_and_connect = None if timeout.pool is None or timeout.connect is None else timeout.pool + timeout.connect
    return aiohttp.ClientTimeout(
        total=timeout.total, connect=pool_and_connect, sock_connect=timeout.connect, sock_read=timeout.read
    )


class AsyncAPIClient(BaseClient):
    """A client on an ``aiohttp.ClientSession``: build, send, retry and parse, with ``await``."""

    def __init__(self, **kwargs: Any) -> None:
        shared: Optional[_SharedAsync] = kwargs.get("_shared")
        super().__init__(**kwargs)
        self._shared = shared if shared is not None else _SharedAsync(self._retry_policy)
        self._attempt_with_retries = retrying(self._attempt)
        self._timeout_for_aiohttp: tuple[Optional[Timeout], Any] = (None, None)
        self._base_prefix = origin_key(self._builder.base_url) + "/"
        self._base_env: Optional[dict[str, Any]] = None  # env_by_origin's entry for that origin, once known
        # aiohttp turns a dict of headers into a CIMultiDict on every request (and copies that
        # again): hand it one made once for the headers most requests carry (it never changes it).
        from multidict import CIMultiDict, CIMultiDictProxy

        defaults = {**self._builder.default_headers, RETRY_COUNT_HEADER: "0"}
        self._default_multidict = (defaults, CIMultiDictProxy(CIMultiDict(defaults)))

    # -- public API ------------------------------------------------------

    async def request(
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
        attempt: Attempt = await self._attempt(call, stream)
        if not attempt.ok:  # backoff's loop takes it from here (the call kept this attempt for it)
            attempt = await self._attempt_with_retries(call, stream)
        result, wrap = call.conclude(attempt, AsyncAPIResponse, stream)
        return self._make_stream(stream_cls, cast_to, result) if wrap else result

    async def get(
        self,
        path: str,
        *,
        cast_to: Any,
        options: RequestOptions = {},
        stream: bool = False,
        stream_cls: Optional[type] = None,
    ) -> Any:
        """``GET path``."""
        return await self.request(
            cast_to, FinalRequestOptions(method="get", url=path, **options), stream=stream, stream_cls=stream_cls
        )

    async def post(
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
        return await self.request(
            cast_to,
            self._verb_options("post", path, body, content, files, options),
            stream=stream,
            stream_cls=stream_cls,
        )

    async def put(
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
        return await self.request(
            cast_to,
            self._verb_options("put", path, body, content, files, options),
            stream=False,
            stream_cls=None,
        )

    async def patch(
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
        return await self.request(
            cast_to,
            self._verb_options("patch", path, body, content, files, options),
            stream=False,
            stream_cls=None,
        )

    async def delete(
        self, path: str, *, cast_to: Any, body: Any = None, content: Any = None, options: RequestOptions = {}
    ) -> Any:
        """``DELETE path``."""
        return await self.request(
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
        """An awaitable (the first page) that is also async-iterable (every item across pages)."""
        from ._pagination import AsyncPager

        return AsyncPager(self, path, model=model, paginator=paginator, body=body, options=options, method=method)

    def copy(self, **overrides: Any) -> "AsyncAPIClient":
        """A client configured like this one with ``overrides``, sharing its connection pool."""
        return type(self)(**self._copy_kwargs(overrides), _shared=self._shared)

    with_options = copy

    async def close(self) -> None:
        """Close the connection pool (shared with copies)."""
        if not self._shared.closed:
            self._shared.closed = True
            if self._shared.session is not None:
                await self._shared.session.close()

    aclose = close

    def is_closed(self) -> bool:
        """True once :meth:`close` was called on this client or a copy."""
        return self._shared.closed

    async def __aenter__(self: _Client) -> _Client:
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        await self.close()

    # -- I/O ---------------------------------------------------------------

    def _make_stream(self, stream_cls: Optional[type], cast_to: Any, response: AsyncAPIResponse[Any]) -> Any:
        from ._streaming import AsyncStream, stream_item_type

        return (stream_cls or AsyncStream)(
            cast_to=stream_item_type(stream_cls, cast_to), response=response, client=self
        )

    def _session(self) -> aiohttp.ClientSession:
        session = self._shared.session
        if session is None:
            # Made on first use so it binds to the loop that runs the calls.
            session = self._container.async_session_factory()(self._settings)
            self._shared.session = session
        return session

    async def _attempt(self, call: Call, stream: bool) -> Attempt:
        request = call.next_request()
        if pool_wait_marked():
            forget_pool_wait()
        started = time.monotonic()
        raw = None
        try:
            sent = request
            while True:  # the hops of the redirects the call follows
                raw = await (self._send_handling_auth(sent) if call.signing else self._send_once(sent))
                if raw.status not in REDIRECT_STATUSES:
                    break
                following = call.redirect(sent, raw.status, raw.headers)
                if following is None:
                    break
                raw.release()
                raw, sent = None, following
            content = None
            if not stream or not call.accepts(raw.status):
                content = await raw.read()  # read here so a cut body is retried like any failed attempt
                raw.release()
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
            if raw is not None:
                raw.close()
            return call.failed(request, map_aiohttp_error(exc, request), started)
        except APIError as exc:
            if raw is not None:
                raw.release()
            return call.failed(request, exc, started)
        except BaseException:
            if raw is not None:
                raw.close()  # cancelled: never hand a half-read connection back to the pool
            raise
        return call.received(request, raw, raw.status, raw.headers, content, started)

    async def _send_handling_auth(self, request: PreparedRequest) -> aiohttp.ClientResponse:
        async_flow = getattr(self._auth, "async_auth_flow", None)
        if async_flow is not None:
            aflow = async_flow(request)
            signed = await aflow.__anext__()
            while True:
                raw = await self._send_once(signed)
                try:
                    signed = await aflow.asend(ResponseHead(raw.status, raw.headers))
                except StopAsyncIteration:
                    return raw
                raw.release()
        flow = self._auth.auth_flow(request)
        signed = next(flow)
        while True:
            raw = await self._send_once(signed)
            try:
                signed = flow.send(ResponseHead(raw.status, raw.headers))
            except StopIteration:
                return raw
            raw.release()

    def _send_once(self, request: PreparedRequest) -> Any:
        """aiohttp's awaitable for one send (no coroutine frame of ours once the origin is known)."""
        url = request.url
        # Most requests go to the base URL's origin: no need to cut the origin out of the URL.
        env = self._base_env if url.startswith(self._base_prefix) else None
        if env is None:
            env = self._shared.env_by_origin.get(origin_key(url))
            if env is None:
                return self._send_first(request)
            if url.startswith(self._base_prefix):
                self._base_env = env
        data: Any = request.content
        if request.files is not None:
            form = aiohttp.FormData()
            for name, value in request.form or []:
                form.add_field(name, value)
            for name, (filename, content, content_type) in request.files:
                form.add_field(name, content, filename=filename, content_type=content_type)
            data = form
        timeout = request.timeout
        if timeout is not self._timeout_for_aiohttp[0]:  # the same Timeout object on most calls
            self._timeout_for_aiohttp = (timeout, client_timeout(timeout))
        headers: Any = request.headers
        if env["headers"]:  # netrc / proxy credentials for this origin, unless the request has its own
            present = {k.lower() for k in headers}
            extra = {k: v for k, v in env["headers"].items() if k.lower() not in present}
            headers = {**headers, **extra}
        elif headers == self._default_multidict[0]:  # most requests: the defaults as built
            headers = self._default_multidict[1]
        return (self._shared.session or self._session()).request(
            request.method,
            url,
            headers=headers,
            data=data,
            timeout=self._timeout_for_aiohttp[1],
            allow_redirects=False,
            **env["send"],
        )

    async def _send_first(self, request: PreparedRequest) -> aiohttp.ClientResponse:
        env = await asyncio.to_thread(environment_for, request.url, self._settings)
        self._shared.env_by_origin[origin_key(request.url)] = env
        return await self._send_once(request)  # type: ignore[no-any-return]
