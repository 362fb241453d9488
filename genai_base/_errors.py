"""The exception hierarchy and the ``status -> class`` mapping.

Everything the library raises on purpose derives from :class:`GenaiBaseError`.
Request failures derive from :class:`APIError`; mistakes in configuration or
plugin selection derive from :class:`ConfigurationError`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping

if TYPE_CHECKING:
    from ._request import PreparedRequest

__all__ = [
    "GenaiBaseError",
    "APIError",
    "APIStatusError",
    "BadRequestError",
    "AuthenticationError",
    "PermissionDeniedError",
    "NotFoundError",
    "ConflictError",
    "UnprocessableEntityError",
    "RateLimitError",
    "InternalServerError",
    "APIConnectionError",
    "APITimeoutError",
    "PoolTimeoutError",
    "TooManyRedirectsError",
    "StreamInterruptedError",
    "RetryBudgetExhaustedError",
    "RateLimiterUnavailableError",
    "APIResponseValidationError",
    "ConfigurationError",
    "PluginNotFoundError",
    "PluginLoadError",
    "PluginConflictError",
    "status_error_class",
]


class GenaiBaseError(Exception):
    """Base of every exception genai_base raises on purpose."""


class APIError(GenaiBaseError):
    """A request could not be completed or the API answered with an error."""

    message: str
    request: PreparedRequest | None
    body: object | None

    def __init__(
        self, message: str, request: PreparedRequest | None = None, *, body: object | None = None
    ) -> None:
        super().__init__(message)
        #: The error's text, as ``str()`` of the exception shows it.
        self.message = message
        #: The request that failed (``None`` when it was never built).
        self.request = request
        #: The decoded error body (JSON data, or the text when it is not JSON), if any.
        self.body = body
        # As the Stainless-generated SDKs do: well-known fields of an error object are lifted up.
        err = body.get("error", body) if isinstance(body, Mapping) else None
        #: The error object's ``code`` (``body["error"]["code"]`` or ``body["code"]``), if any.
        self.code: Any = err.get("code") if isinstance(err, Mapping) else None
        #: The error object's ``param``, if any.
        self.param: Any = err.get("param") if isinstance(err, Mapping) else None
        #: The error object's ``type``, if any.
        self.type: Any = err.get("type") if isinstance(err, Mapping) else None


class APIResponseValidationError(APIError):
    """The response body does not match the type it was to be parsed into."""

    def __init__(
        self,
        message: str = "Data returned by API invalid for expected schema.",
        *,
        response: Any = None,
        body: object | None = None,
        request: PreparedRequest | None = None,
    ) -> None:
        super().__init__(message, request, body=body)
        #: The response whose body did not fit (a raw response).
        self.response = response
        #: Its status.
        self.status_code: int | None = getattr(response, "status_code", None)


class APIStatusError(APIError):
    """The API answered with a status that is not a success (4xx, 5xx, or an unfollowed 3xx)."""

    def __init__(self, message: str, *, response: Any, body: object | None) -> None:
        super().__init__(message, getattr(response, "http_request", None), body=body)
        #: The response (a raw response: headers, body, the request that was sent).
        self.response = response
        #: Its HTTP status.
        self.status_code: int = response.status_code
        headers = response.headers
        #: Its ``x-request-id`` (else ``request-id``) header: what the API's support asks for.
        self.request_id: str | None = headers.get("x-request-id") or headers.get("request-id")


class BadRequestError(APIStatusError):
    """400 Bad Request."""


class AuthenticationError(APIStatusError):
    """401 Unauthorized."""


class PermissionDeniedError(APIStatusError):
    """403 Forbidden."""


class NotFoundError(APIStatusError):
    """404 Not Found."""


class ConflictError(APIStatusError):
    """409 Conflict."""


class UnprocessableEntityError(APIStatusError):
    """422 Unprocessable Entity."""


class RateLimitError(APIStatusError):
    """429 Too Many Requests."""


class InternalServerError(APIStatusError):
    """Any status >= 500."""


class APIConnectionError(APIError):
    """The request never got a complete answer: refused, reset, DNS, TLS, ..."""

    def __init__(
        self, message: str = "Connection error.", *, request: PreparedRequest | None = None
    ) -> None:
        super().__init__(message, request, body=None)


class APITimeoutError(APIConnectionError):
    """A timeout (connect, read, write, pool, total or the call's deadline) expired."""

    def __init__(
        self, message: str = "Request timed out.", *, request: PreparedRequest | None = None
    ) -> None:
        super().__init__(message, request=request)


class PoolTimeoutError(APIConnectionError):
    """No pooled connection became free within the pool timeout."""


class TooManyRedirectsError(APIConnectionError):
    """More redirects than ``max_redirects`` were answered in a row."""


class StreamInterruptedError(APIConnectionError):
    """A response body or event stream was cut before its end."""


class RetryBudgetExhaustedError(APIError):
    """Raised only as the ``__cause__`` note when a retry budget refuses a retry."""


class RateLimiterUnavailableError(APIError):
    """The rate limiter's shared store (e.g. Redis) could not be asked, and ``rate_limit.fail_open`` is false.

    Nothing was sent: the call ends with this error, which is not retried.
    """


class ConfigurationError(GenaiBaseError, ValueError):
    """A configuration value or a component choice is invalid."""


class PluginNotFoundError(ConfigurationError):
    """No plugin of that name is installed (or it is disabled)."""


class PluginLoadError(ConfigurationError):
    """A plugin was found but could not be imported or does not fit its protocol."""


class PluginConflictError(ConfigurationError):
    """Two distributions offer the same plugin name in one group."""


_STATUS_CLASSES: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def status_error_class(status_code: int) -> type[APIStatusError]:
    """The most specific :class:`APIStatusError` subclass for ``status_code``."""
    if status_code >= 500:
        return InternalServerError
    return _STATUS_CLASSES.get(status_code, APIStatusError)
