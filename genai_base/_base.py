"""What both clients share: configuration, components from the container, and status errors."""

from __future__ import annotations

from typing import Any, Mapping, Optional, Union

from ._auth import NoAuth, safe_repr
from ._errors import APIStatusError, status_error_class
from ._hooks import HookRunner, configure_logging
from ._options import FinalRequestOptions, TimeoutTypes
from ._platform import platform_headers
from ._querystring import Querystring
from ._request import RequestBuilder, redact_url
from ._types import NOT_GIVEN, NotGiven, Omit

__all__ = ["BaseClient"]


class BaseClient:
    """Configuration and components shared by :class:`SyncAPIClient` and :class:`AsyncAPIClient`.

    Explicit constructor arguments win over every configuration source;
    the documented defaults apply only where nothing else sets a value.
    """

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
            )
            if not isinstance(value, NotGiven)
        }
        if auth is not None:
            arguments["auth"] = auth
        settings = self._container.settings(arguments=arguments)
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
        self._serializers = self._container.serializers()
        if _shared is not None:
            self._retry_policy = _shared.retry_policy
        else:
            self._retry_policy = load_component("retry_policies", self._container.retry_policy(), settings)
        # Looked up once: a call tells the policy of every accepted response.
        self._policy_on_success = getattr(self._retry_policy, "on_success", None)
        self._hooks = HookRunner([load_component("hooks", hook, settings) for hook in self._container.hooks()])
        self._auth = self._resolve_auth(auth, settings)
        self._plain_auth = type(self._auth) is NoAuth  # nothing to sign: the shells skip the auth flow
        self._builder = RequestBuilder(
            base_url=base_url,
            default_headers=self.default_headers,
            custom_query=self._custom_query,
            querystring=querystring or Querystring(settings["query_array_format"], settings["query_nested_format"]),
            serializer=load_component("serializers", self._container.serializer(), settings),
            idempotency_header=self._idempotency_header,
        )

    def _resolve_auth(self, auth: Any, settings: Any) -> Any:
        # An explicit argument (an Auth object or a plugin name) wins over the container's ``auth``.
        if auth is None:
            auth = self._container.auth()
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
