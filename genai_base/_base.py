"""What both clients share: configuration, components from the container, and status errors."""

from __future__ import annotations

import sys
import time
from typing import Any, Mapping, Optional, Union

if sys.version_info >= (3, 11):
    from typing import Self
else:
    from typing_extensions import Self

from ._auth import NoAuth, safe_repr
from ._engine import Attempt, Call, EngineConfig
from ._errors import APIConnectionError, APIStatusError, status_error_class
from ._hooks import HookRunner, configure_logging
from ._options import FinalRequestOptions, TimeoutTypes
from ._platform import platform_headers
from ._querystring import Querystring
from ._redact import redact_url
from ._request import RequestBuilder
from ._streaming import stream_item_type
from ._types import NOT_GIVEN, NotGiven, Omit

__all__ = ["BaseClient"]


class BaseClient:
    """Configuration and components shared by :class:`SyncAPIClient` and :class:`AsyncAPIClient`.

    Explicit constructor arguments win over every configuration source;
    the documented defaults apply only where nothing else sets a value.
    """

    #: Whether the driver awaits (the engine then runs ``async_auth_flow``).
    _is_async = False
    #: What a client and its copies share (the pool, the retry policy); set by the shell.
    _shared: Any

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
        container: Optional[Any] = None,
        deadline: Union[float, NotGiven, None] = NOT_GIVEN,
        querystring: Optional[Querystring] = None,
        max_redirects: Union[int, NotGiven] = NOT_GIVEN,
        stream_protocol: Any = None,
        stream_reconnects: Union[int, NotGiven] = NOT_GIVEN,
        _shared: Any = None,
    ) -> None:
        if max_retries is None:
            raise TypeError(
                "max_retries cannot be None: pass 0 to disable retries, or a number; "
                "leave it out for the default (genai_base.DEFAULT_MAX_RETRIES)"
            )
        self._init_kwargs: dict[str, Any] = dict(
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
        configure_logging()  # GENAI_BASE_LOG, read when a client is built
        # Imported here: dependency-injector (and the YAML parser it loads) costs
        # nothing until the first client is built.
        from ._container import ClientContainer, load_component

        self._container = container if container is not None else ClientContainer()
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
        # A copy lays its arguments over the settings its original resolved (no re-read of the environment).
        parent = getattr(_shared, "settings", None)
        if parent is not None:
            settings = parent.with_arguments(arguments)
        else:
            settings = self._container.settings(arguments=arguments)
        self._settings = settings
        self._version = version
        self._strict_response_validation = _strict_response_validation
        self.max_retries: int = settings["max_retries"]
        self.timeout: TimeoutTypes = settings["timeout"]
        self.deadline: Optional[float] = settings["deadline"]
        self.max_redirects: int = settings["max_redirects"]
        self._idempotency_header: Optional[str] = settings["idempotency_header"]
        self._custom_headers = dict(custom_headers or {})
        self._custom_query = dict(custom_query or {})

        # Components: by plugin name from the settings, or objects put in with container.<x>.override(...).
        body_serializer = load_component("serializers", self._container.serializer(settings=settings), settings)
        self._serializers = self._container.serializers(serializer=body_serializer, settings=settings)
        if _shared is not None:
            self._retry_policy = _shared.retry_policy
        else:
            policy = self._container.retry_policy(settings=settings)
            self._retry_policy = load_component("retry_policies", policy, settings)
        hooks = self._container.hooks(settings=settings)
        self._hooks = HookRunner([load_component("hooks", hook, settings) for hook in hooks])
        self._auth = self._resolve_auth(auth, settings)
        # The protocol streams use unless their class names one; those are loaded once per client.
        protocol = self._container.stream_protocol(settings=settings)
        self._stream_protocol = load_component("stream_protocols", protocol, settings)
        self._stream_protocols: dict[str, Any] = {}
        self._builder = RequestBuilder(
            base_url=base_url,
            default_headers=self.default_headers,
            custom_query=self._custom_query,
            querystring=querystring or Querystring(settings["query_array_format"], settings["query_nested_format"]),
            serializer=body_serializer,
            idempotency_header=self._idempotency_header,
        )
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
            is_async=self._is_async,
        )

    def _resolve_auth(self, auth: Any, settings: Any) -> Any:
        # An explicit argument (an Auth object or a plugin name) wins over the container's ``auth``.
        if auth is None:
            auth = self._container.auth(settings=settings)
        if auth is None:
            return NoAuth()
        from ._container import load_component

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
        """Headers every request carries for auth (auth components sign requests instead)."""
        return {}

    @property
    def default_headers(self) -> dict[str, Union[str, Omit]]:
        """Headers sent with every request unless a call overrides them."""
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

    def _start(self, options: FinalRequestOptions, cast_to: Any, stream: bool) -> Call:
        """A new call of ``options`` on this client's engine (a closed client makes none)."""
        if self._shared.closed:
            raise APIConnectionError("the client is closed")
        resumable = options.resumable
        if resumable is not None and (type(resumable) is not bool or (resumable and not stream)):
            raise (ValueError if type(resumable) is bool else TypeError)(
                f"resumable={resumable!r}: it takes True or False and applies to streamed calls (stream=True)"
            )
        return Call(self._engine, options, cast_to, stream)

    def _conclude(
        self, call: Call, attempt: Optional[Attempt], response_cls: type, stream_cls: Optional[type], default: type
    ) -> Any:
        """What ``request`` returns for the call's last attempt: the body, a raw response or a stream."""
        assert attempt is not None, "the flow ended without an attempt"
        value, wrap = call.conclude(attempt, response_cls)
        if wrap:
            item = stream_item_type(stream_cls, call.cast_to)
            return (stream_cls or default)(cast_to=item, response=value, client=self, options=call.options)
        return value

    def copy(self, **overrides: Any) -> Self:
        """A client configured like this one with ``overrides``, sharing its connection pool."""
        return type(self)(**self._copy_kwargs(overrides), _shared=self._shared)

    with_options = copy

    def is_closed(self) -> bool:
        """True once the client (or a copy sharing its pool) was closed."""
        return bool(self._shared.closed)

    def _copy_kwargs(self, overrides: dict[str, Any]) -> dict[str, Any]:
        unknown = set(overrides) - set(self._init_kwargs)
        if unknown:
            raise TypeError(f"copy() got unexpected options: {', '.join(sorted(unknown))}")
        kwargs = {**self._init_kwargs, **overrides}
        kwargs["container"] = self._container
        return kwargs

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__} base_url={redact_url(self.base_url)!r} max_retries={self.max_retries} "
            f"auth={safe_repr(self._auth)}>"
        )
