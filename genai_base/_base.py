"""What both clients share: configuration, components from the container, and status errors."""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Mapping, Optional, TypeVar, Union, cast

if sys.version_info >= (3, 11):
    from typing import Self
else:
    from typing_extensions import Self

from ._auth import NoAuth, safe_repr
from ._copying import COPY_SOURCE, CopySource, copy_arguments, record_arguments
from ._engine import Attempt, Call, EngineConfig
from ._errors import APIConnectionError, APIStatusError, status_error_class
from ._headers import Headers
from ._hooks import HookRunner, configure_logging
from ._options import FinalRequestOptions, TimeoutTypes
from ._platform import platform_headers
from ._policies import PolicyRunner
from ._querystring import Querystring
from ._ratelimit import NoRateLimiter
from ._redact import redact_url
from ._request import PreparedRequest, RequestBuilder, enforce_trailing_slash, origin_of
from ._settings import ENV_PREFIX, Settings, env_settings
from ._streaming import stream_item_type
from ._types import NOT_GIVEN, NotGiven, Omit
from ._wrappers import RAW_RESPONSE_HEADER

if TYPE_CHECKING:
    from ._container import ClientContainer

__all__ = ["BaseClient", "Self"]

F = TypeVar("F", bound=Callable[..., Any])


_DEFAULTS_PROPERTIES = ("default_headers", "auth_headers", "default_query", "user_agent")


def _default(method: F) -> F:
    """Mark a base implementation an SDK may override; the client calls an override only."""
    method._genai_default = True  # type: ignore[attr-defined]
    return method


def _overridden(cls: type, name: str) -> bool:
    return not getattr(getattr(cls, name), "_genai_default", False)


def _origin(url: str) -> str:
    """``scheme://host:port`` of ``url`` (no user info): the default ``rate_limit.key``."""
    scheme, host, port = origin_of(url)
    if ":" in host:
        host = f"[{host}]"
    return f"{scheme}://{host}:{port}" if port is not None else f"{scheme}://{host}"


class BaseClient:
    """Configuration and components shared by :class:`SyncAPIClient` and :class:`AsyncAPIClient`.

    Explicit constructor arguments win over every configuration source;
    the documented defaults apply only where nothing else sets a value.
    An SDK subclasses a client; ``env_prefix`` and ``logger_name`` give it a
    settings namespace and a logger of its own.
    """

    #: The prefix of the environment variables this client class reads (``ACME_MAX_RETRIES``).
    env_prefix: ClassVar[str] = ENV_PREFIX
    #: The logger the built-in logging hook writes to.
    logger_name: ClassVar[str] = "genai_base"
    #: Whether the driver awaits (the engine then runs ``async_auth_flow``).
    _is_async: ClassVar[bool] = False
    #: Whether the class overrides one of the default header/query properties (read per request then).
    _dynamic_defaults: ClassVar[bool] = False
    #: What a client and its copies share (the pool, the retry policy); made by the shell.
    _shared: Any

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        init = cls.__dict__.get("__init__")
        if init is not None:  # an SDK's own constructor: its arguments are what copies are made from
            cls.__init__ = record_arguments(init)  # type: ignore[method-assign]
        cls._dynamic_defaults = any(getattr(cls, n) is not getattr(BaseClient, n) for n in _DEFAULTS_PROPERTIES)

    def __init__(
        self,
        *,
        version: str,
        base_url: str,
        _strict_response_validation: bool = False,
        max_retries: Union[int, NotGiven] = NOT_GIVEN,
        timeout: Union[TimeoutTypes, NotGiven] = NOT_GIVEN,
        custom_headers: Optional[Mapping[str, Union[str, Omit]]] = None,
        custom_query: Optional[Mapping[str, object]] = None,
        auth: Any = None,
        idempotency_header: Union[str, NotGiven, None] = NOT_GIVEN,
        container: Optional["ClientContainer"] = None,
        deadline: Union[float, NotGiven, None] = NOT_GIVEN,
        querystring: Optional[Querystring] = None,
        max_redirects: Union[int, NotGiven] = NOT_GIVEN,
        stream_protocol: Any = None,
        stream_reconnects: Union[int, NotGiven] = NOT_GIVEN,
    ) -> None:
        if max_retries is None:
            raise TypeError(
                "max_retries cannot be None: pass 0 to disable retries, or a number; "
                "leave it out for the default (genai_base.DEFAULT_MAX_RETRIES)"
            )
        source = COPY_SOURCE.get()
        if source is not None:
            COPY_SOURCE.set(None)  # for this construction only, not for clients its constructor makes
        if "_constructor_arguments" not in self.__dict__:  # used directly: copies are made from these
            self.__dict__["_constructor_arguments"] = dict(
                version=version,
                base_url=base_url,
                _strict_response_validation=_strict_response_validation,
                max_retries=max_retries,
                timeout=timeout,
                custom_headers=custom_headers,
                custom_query=custom_query,
                auth=auth,
                idempotency_header=idempotency_header,
                container=container,
                deadline=deadline,
                querystring=querystring,
                max_redirects=max_redirects,
                stream_protocol=stream_protocol,
                stream_reconnects=stream_reconnects,
            )
        cls = type(self)
        configure_logging(prefix=cls.env_prefix, logger_name=cls.logger_name)
        # Not at the top: dependency-injector (and the YAML parser it loads) costs nothing until
        # the first client is built, so ``import genai_base`` stays light.
        from ._container import ClientContainer, load_component
        if container is None:
            container = cast("ClientContainer", source.container) if source is not None else ClientContainer()
        self._container: ClientContainer = container
        # Explicit arguments are the last, highest source; they are validated like every other.
        arguments: dict[str, Any] = {
            key: value
            for key, value in (
                ("max_retries", max_retries),
                ("timeout", timeout),
                ("deadline", deadline),
                ("max_redirects", max_redirects),
                ("idempotency_header", idempotency_header),
                ("stream_reconnects", stream_reconnects),
            )
            if not isinstance(value, NotGiven)
        }
        if auth is not None:
            arguments["auth"] = auth
        if stream_protocol is not None:
            arguments["stream_protocol"] = stream_protocol
        if source is not None:  # a copy lays its arguments over its original's settings
            settings = source.settings.with_arguments(arguments)
        else:
            own_env = {} if cls.env_prefix == ENV_PREFIX else {"environment": env_settings(prefix=cls.env_prefix)}
            settings = container.settings(arguments=arguments, logger_name=cls.logger_name, **own_env)
        self._settings = settings
        self._version = version
        self._strict_response_validation = _strict_response_validation
        #: Retries of each call (a per-call ``max_retries`` overrides it).
        self.max_retries: int = settings["max_retries"]
        #: The timeouts of each attempt (a number, a :class:`Timeout` or ``None``).
        self.timeout: TimeoutTypes = settings["timeout"]
        #: Seconds for a whole call, retries included; ``None``: no such bound.
        self.deadline: Optional[float] = settings["deadline"]
        #: The most redirects one call follows.
        self.max_redirects: int = settings["max_redirects"]
        self._idempotency_header: Optional[str] = settings["idempotency_header"]
        self._custom_headers = dict(custom_headers or {})
        self._custom_query = dict(custom_query or {})

        # Components: by plugin name from the settings, or objects put in with container.<x>.override(...).
        body_serializer = load_component("serializers", container.serializer(settings=settings), settings)
        self._serializers = container.serializers(serializer=body_serializer, settings=settings)
        if source is not None:
            self._retry_policy = source.shared.retry_policy
            self._rate_limiter = source.shared.rate_limiter
        else:
            # ``key`` names what clients share across processes (a plugin's rate limit or retry budget).
            key = settings["rate_limit"].get("key") or _origin(enforce_trailing_slash(base_url))  # checks base_url
            policy = container.retry_policy(settings=settings, key=key)
            self._retry_policy = load_component("retry_policies", policy, settings)
            limiter = container.rate_limiter(settings=settings, key=key)
            self._rate_limiter = load_component("rate_limiters", limiter, settings)
        # The drivers skip a NoRateLimiter altogether (the default costs nothing per attempt).
        self._rate_limited = not isinstance(self._rate_limiter, NoRateLimiter)
        hooks = container.hooks(settings=settings)
        self._hooks = HookRunner([load_component("hooks", hook, settings) for hook in hooks])
        policies = [load_component("policies", p, settings) for p in container.policies(settings=settings)]
        self._auth = self._resolve_auth(auth, settings)
        # The protocol streams use unless their class names one; those are loaded once per client.
        protocol = container.stream_protocol(settings=settings)
        self._stream_protocol = load_component("stream_protocols", protocol, settings)
        self._stream_protocols: dict[str, Any] = {}
        self._builder = RequestBuilder(
            base_url=base_url,
            default_headers=self.default_headers,
            custom_query=self.default_query,
            querystring=querystring or Querystring(settings["query_array_format"], settings["query_nested_format"]),
            serializer=body_serializer,
            idempotency_header=self._idempotency_header,
        )
        self._last_defaults: Optional[tuple[Any, Any, RequestBuilder]] = None
        self._prepares_options = _overridden(cls, "_prepare_options")
        self._validates_headers = _overridden(cls, "_validate_headers")
        self._engine = EngineConfig(
            builder=self._builder,
            retry_policy=self._retry_policy,
            hooks=self._hooks,
            auth=self._auth,
            serializers=self._serializers,
            strict=_strict_response_validation,
            max_retries=self.max_retries,
            timeout=self.timeout,
            deadline=self.deadline,
            max_redirects=self.max_redirects,
            make_status_error=self._make_status_error,
            clock=time.monotonic,
            is_async=cls._is_async,
            prepare_request=self._prepare_request if _overridden(cls, "_prepare_request") else None,
            policies=PolicyRunner(policies) if policies else None,
            rate_limited=self._rate_limited,
        )
        self._shared = source.shared if source is not None else self._new_shared(settings)

    def _new_shared(self, settings: Settings) -> Any:
        """What this client and its copies will share (the shell's pool); made once, for the original."""
        raise NotImplementedError

    def _resolve_auth(self, auth: Any, settings: Any) -> Any:
        # An explicit argument (an Auth object or a plugin name) wins over the container's ``auth``.
        if auth is None:
            auth = self._container.auth(settings=settings)
        if auth is None:
            return NoAuth()
        from ._container import load_component  # loaded by the constructor already (see there)

        return load_component("auth", auth, settings)

    @property
    def base_url(self) -> str:
        """The base URL, always with a trailing ``/``."""
        return self._builder.base_url

    @property
    def user_agent(self) -> str:
        """``<ClassName>/Python <version>``."""
        return f"{type(self).__name__}/Python {self._version}"

    @property
    def auth_headers(self) -> dict[str, str]:
        """Headers every request carries for auth (read for every request; auth components sign instead)."""
        return {}

    @property
    def default_query(self) -> dict[str, object]:
        """Query params every request carries (read for every request when an SDK overrides it)."""
        return dict(self._custom_query)

    @property
    def default_headers(self) -> dict[str, Union[str, Omit]]:
        """Headers sent with every request unless a call overrides them (read per request when overridden)."""
        return {
            "Accept": "application/json",
            "Content-Type": "application/json",
            "User-Agent": self.user_agent,
            **platform_headers(self._version),
            **self.auth_headers,
            **self._custom_headers,
        }

    @staticmethod
    def _verb_options(method: str, path: str, body: Any, content: Any, files: Any, options: Any) -> FinalRequestOptions:
        """The options of a ``post``/``put``/``patch``/``delete`` call."""
        return FinalRequestOptions(method=method, url=path, json_data=body, content=content, files=files, **options)

    def _make_status_error(self, err_msg: str, *, body: object, response: Any) -> APIStatusError:
        """The exception for a non-success response; SDKs override it for their own classes."""
        return status_error_class(response.status_code)(err_msg, response=response, body=body)

    @_default
    def _prepare_options(self, options: FinalRequestOptions) -> FinalRequestOptions:
        """An SDK's say over a call's options, once per call before its request is built (a coroutine on async)."""
        return options

    @_default
    def _prepare_request(self, request: PreparedRequest) -> Optional[PreparedRequest]:
        """An SDK's say over each attempt's request (change it in place, or return another); before every attempt."""
        return None

    @_default
    def _validate_headers(self, headers: Headers, custom_headers: Any) -> None:
        """An SDK's check of a call's merged headers (and the call's own ``custom_headers``); raise to refuse it."""
        return None

    def _start(self, options: FinalRequestOptions, cast_to: Any, stream: bool) -> Call:
        """A new call of ``options`` on this client's engine (a closed client makes none)."""
        if self._shared.closed:
            raise APIConnectionError("the client is closed")
        resumable = options.resumable
        if resumable is not None and (type(resumable) is not bool or (resumable and not stream)):
            raise (ValueError if type(resumable) is bool else TypeError)(
                f"resumable={resumable!r}: it takes True or False and applies to streamed calls (stream=True)"
            )
        wrapper = None
        headers = options.headers
        if type(headers) is not NotGiven and headers and RAW_RESPONSE_HEADER in headers:
            # A response wrapper's marker: this call returns its raw response; the marker is not sent.
            wrapper = str(headers[RAW_RESPONSE_HEADER])
            options = options.copy(headers={k: v for k, v in headers.items() if k != RAW_RESPONSE_HEADER})
        builder = self._current_builder() if self._dynamic_defaults else None
        call = Call(self._engine, options, cast_to, stream, builder, wrapper)
        if self._validates_headers:
            self._validate_headers(call.request.headers, options.headers)
        return call

    def _current_builder(self) -> RequestBuilder:
        """The builder for the SDK's default headers and query as they are now (a rotated key included)."""
        headers, query = self.default_headers, self.default_query
        last = self._last_defaults
        if last is not None and last[0] == headers and last[1] == query:
            return last[2]
        builder = self._builder.with_defaults(headers, query)
        self._last_defaults = (headers, query, builder)
        return builder

    def _conclude(
        self, call: Call, attempt: Optional[Attempt], response_cls: type, stream_cls: Optional[type], default: type
    ) -> Any:
        """What ``request`` returns for the call's last attempt: the body, a raw response or a stream."""
        assert attempt is not None, "the flow ended without an attempt"
        value, wrap = call.conclude(attempt, response_cls)
        if wrap or (call.wrapper is not None and call.stream_requested):
            item = stream_item_type(stream_cls, call.cast_to)

            def make_stream(response: Any) -> Any:
                return (stream_cls or default)(cast_to=item, response=response, client=self, options=call.options)

            if wrap:
                return make_stream(value)
            value._stream_factory = make_stream  # a wrapped streaming method: parse() gives the stream
        return value

    def copy(self, **overrides: Any) -> Self:
        """A client of this one's own class, built from its constructor arguments with ``overrides``; shares the pool.

        An override the class's constructor does not take raises ``TypeError`` naming it.
        """
        arguments = copy_arguments(self, overrides)
        token = COPY_SOURCE.set(CopySource(self._shared, self._container, self._settings))
        try:
            return type(self)(**arguments)
        finally:
            COPY_SOURCE.reset(token)

    with_options = copy

    def is_closed(self) -> bool:
        """True once the client (or a copy sharing its pool) was closed."""
        return bool(self._shared.closed)

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__} base_url={redact_url(self.base_url)!r} max_retries={self.max_retries} "
            f"auth={safe_repr(self._auth)}>"
        )
