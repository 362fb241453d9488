"""Auth components: the :class:`Auth` protocol and the ``api_key`` and ``bearer`` built-ins.

An auth flow is a generator, as in httpx: it yields the signed request,
receives the response head back, and may yield again to retry once its
credentials are refreshed. The shells drive it; nothing here does I/O.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, replace
from typing import Any, AsyncGenerator, Awaitable, Callable, Generator, Mapping, Optional, Protocol, Union, cast
from urllib.parse import parse_qsl, urlencode

from ._request import PreparedRequest

__all__ = ["Auth", "ResponseHead", "NoAuth", "APIKeyAuth", "BearerAuth", "safe_repr"]


@dataclass(frozen=True)
class ResponseHead:
    """What an auth flow sees of a response: its status and headers."""

    #: The response's HTTP status.
    status_code: int
    #: The response's headers.
    headers: Mapping[str, str]


class Auth(Protocol):
    """Signs each attempt of a request.

    ``sensitive_headers`` / ``sensitive_query_params`` name what must be
    dropped on a redirect to another origin and never logged. A component
    whose flow only signs (it never reads the response) may also have a
    ``signer`` attribute: a callable from the request to the signed request.
    The clients then call it for each attempt in place of running the flow.
    """

    #: Lower-case names of the headers that carry credentials.
    sensitive_headers: frozenset[str]
    #: Names of the query parameters that carry credentials.
    sensitive_query_params: frozenset[str]

    def auth_flow(self, request: PreparedRequest) -> Generator[PreparedRequest, ResponseHead, None]:
        """Yield the signed request; receive the response head; yield again to retry."""
        ...


class NoAuth:
    """Sends requests as they are."""

    #: None: nothing is secret.
    sensitive_headers: frozenset[str] = frozenset()
    #: None: nothing is secret.
    sensitive_query_params: frozenset[str] = frozenset()

    def auth_flow(self, request: PreparedRequest) -> Generator[PreparedRequest, ResponseHead, None]:
        """Yield ``request`` unchanged, once."""
        yield request

    def __repr__(self) -> str:
        return "NoAuth()"


def _add_query_param(url: str, name: str, value: str) -> str:
    base, _, query = url.partition("?")
    pairs = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k != name]
    pairs.append((name, value))
    return f"{base}?{urlencode(pairs)}"


class APIKeyAuth:
    """An API key in a header (default ``x-api-key``) or in a query parameter."""

    def __init__(self, key: str, *, header: Optional[str] = "x-api-key", query_param: Optional[str] = None) -> None:
        if not key:
            raise ValueError("APIKeyAuth needs a non-empty key")
        self._key = key
        #: The header the key is sent in, or ``None`` when it goes in the query string.
        self.header = None if query_param else header
        #: The query parameter the key is sent in, or ``None`` when it goes in a header.
        self.query_param = query_param
        #: The key's header (lower case), if it is sent in one.
        self.sensitive_headers = frozenset({self.header.lower()}) if self.header else frozenset()
        #: The key's query parameter, if it is sent in one.
        self.sensitive_query_params = frozenset({query_param}) if query_param else frozenset()
        #: The whole flow (it never reads the response): :meth:`sign`.
        self.signer: Optional[Callable[[PreparedRequest], PreparedRequest]] = self.sign

    def sign(self, request: PreparedRequest) -> PreparedRequest:
        """``request`` with the key added (header or query parameter)."""
        if self.query_param:
            return replace(request, url=_add_query_param(request.url, self.query_param, self._key))
        assert self.header is not None
        return request.with_headers(**{self.header: self._key})

    def auth_flow(self, request: PreparedRequest) -> Generator[PreparedRequest, ResponseHead, None]:
        """Yield ``request`` with the key added (header or query parameter), once."""
        yield self.sign(request)

    def __repr__(self) -> str:
        where = f"query_param={self.query_param!r}" if self.query_param else f"header={self.header!r}"
        return f"APIKeyAuth(key=<redacted>, {where})"


TokenProvider = Callable[[], Union[str, Awaitable[str]]]


class BearerAuth:
    """``Authorization: Bearer <token>``, static or from a provider.

    With ``token_provider``, the provider is called for the first request
    and once more after a 401, and the request is retried with the new
    token before the error is raised. An async provider works on the async
    client (``async_auth_flow``).
    """

    #: ``authorization``.
    sensitive_headers = frozenset({"authorization"})
    #: None: the token never goes in a URL.
    sensitive_query_params: frozenset[str] = frozenset()

    def __init__(self, token: Optional[str] = None, *, token_provider: Optional[TokenProvider] = None) -> None:
        if (token is None) == (token_provider is None):
            raise ValueError("BearerAuth takes either a token or a token_provider")
        self._token = token
        self._provider = token_provider
        #: With a static token the whole flow is signing (it never reads the response); with a provider
        #: ``None``: the flow refreshes the token after a 401.
        self.signer: Optional[Callable[[PreparedRequest], PreparedRequest]] = (
            self._sign_static if token_provider is None else None
        )

    def _sign_static(self, request: PreparedRequest) -> PreparedRequest:
        assert self._token is not None
        return self._sign(request, self._token)

    def _sign(self, request: PreparedRequest, token: str) -> PreparedRequest:
        return request.with_headers(Authorization=f"Bearer {token}")

    def _sync_token(self, refresh: bool) -> str:
        if self._provider is None:
            assert self._token is not None
            return self._token
        if self._token is None or refresh:
            token = self._provider()
            if inspect.isawaitable(token):
                close = getattr(token, "close", None)
                if close:
                    close()  # don't leave a never-awaited coroutine behind
                raise TypeError("an async token_provider needs the async client")
            self._token = token
        return self._token

    def auth_flow(self, request: PreparedRequest) -> Generator[PreparedRequest, ResponseHead, None]:
        """Yield ``request`` with the token; after a 401, yield it again with a fresh token from the provider."""
        head = yield self._sign(request, self._sync_token(refresh=False))
        if head.status_code == 401 and self._provider is not None:
            yield self._sign(request, self._sync_token(refresh=True))

    async def _async_token(self, refresh: bool) -> str:
        if self._provider is None:
            assert self._token is not None
            return self._token
        if self._token is None or refresh:
            token: Any = self._provider()
            if inspect.isawaitable(token):
                token = await token
            self._token = token
        assert self._token is not None
        return self._token

    async def async_auth_flow(self, request: PreparedRequest) -> AsyncGenerator[PreparedRequest, ResponseHead]:
        """Like :meth:`auth_flow`, awaiting an async ``token_provider`` (the async client calls this one)."""
        head = yield self._sign(request, await self._async_token(refresh=False))
        if head.status_code == 401 and self._provider is not None:
            yield self._sign(request, await self._async_token(refresh=True))

    def __repr__(self) -> str:
        return "BearerAuth(token=<redacted>)" if self._provider is None else "BearerAuth(token_provider=...)"


def api_key_from_settings(settings: Any) -> APIKeyAuth:
    """Factory for the ``api_key`` entry point: ``auth_options`` gives ``key`` and ``header`` or ``query_param``."""
    options = dict(settings["auth_options"])
    if not options.get("key"):
        raise ValueError("auth 'api_key' needs auth_options.key")
    unknown = set(options) - {"key", "header", "query_param"}
    if unknown:
        unexpected = ", ".join(sorted(unknown))
        raise ValueError(f"auth 'api_key' takes auth_options key, header, query_param; not {unexpected}")
    return APIKeyAuth(**options)


def bearer_from_settings(settings: Any) -> BearerAuth:
    """Factory for the ``bearer`` entry point: ``auth_options`` gives ``token`` or a callable ``token_provider``."""
    options = dict(settings["auth_options"])
    provider = options.get("token_provider")
    if provider is not None:
        if not callable(provider):
            raise ValueError("auth 'bearer' needs auth_options.token_provider to be callable")
        return BearerAuth(token_provider=cast(TokenProvider, provider))
    if not options.get("token"):
        raise ValueError("auth 'bearer' needs auth_options.token (or token_provider)")
    return BearerAuth(str(options["token"]))


# Built-in components whose reprs are known to hide their credentials.
_SAFE_REPR = (NoAuth, APIKeyAuth, BearerAuth)


def safe_repr(auth: Any) -> str:
    """A repr of ``auth`` that never shows a credential: third-party components show only their type."""
    if isinstance(auth, _SAFE_REPR):
        return repr(auth)
    return f"<{type(auth).__name__}>"
