"""genai_base: the foundation API SDKs are built on.

A transport-neutral core (requests, retries, parsing, streams, pages), a
sync client on ``requests``, an async client on ``aiohttp``, and a
dependency-injection container whose components are found through entry
points.
"""

import importlib
from typing import TYPE_CHECKING, Any

from ._auth import APIKeyAuth, Auth, BearerAuth, NoAuth, ResponseHead
from ._base import BaseClient
from ._errors import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    ConflictError,
    GenaiBaseError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    PluginConflictError,
    PluginLoadError,
    PluginNotFoundError,
    PoolTimeoutError,
    RateLimitError,
    RateLimiterUnavailableError,
    ResponseTooLargeError,
    RetryBudgetExhaustedError,
    StreamInterruptedError,
    TooManyRedirectsError,
    UnprocessableEntityError,
)
from ._headers import Headers
from ._hooks import EndEvent, ErrorEvent, Hook, LoggingHook, RequestEvent, ResponseEvent, RetryEvent
from ._options import (
    DEFAULT_MAX_RESPONSE_SIZE,
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    FinalRequestOptions,
    RequestOptions,
    Timeout,
    TimeoutTypes,
    make_request_options,
)
from ._pagination import AsyncPage, AsyncPager, PaginationError, PaginationLoopError, SyncPage
from ._paginators import (
    CursorPaginator,
    LinkHeaderPaginator,
    OffsetPaginator,
    PageInfo,
    PageNumberPaginator,
    Paginator,
)
from ._policies import Policy, PolicyContext
from ._querystring import Querystring
from ._ratelimit import LocalRateLimiter, NoRateLimiter, RateLimiter, ServerFeedback, read_feedback
from ._request import PreparedRequest
from ._resource import AsyncAPIResource, SyncAPIResource
from ._response import APIResponse, AsyncAPIResponse
from ._retry import (
    BudgetedRetryPolicy,
    BudgetStore,
    ExponentialRetryPolicy,
    NoRetryPolicy,
    RetryBudget,
    RetryOutcome,
    RetryPolicy,
)
from ._serializers import JSONSerializer, Serializer
from ._sse import ServerSentEvent, SSEDecoder
from ._stream_protocols import (
    AnthropicStreamProtocol,
    OpenAIStreamProtocol,
    RawStreamProtocol,
    StreamContext,
    StreamProtocol,
    StreamSignal,
)
from ._streaming import AsyncStream, Stream
from ._sync import SyncAPIClient
from ._transports.base import AsyncSessionFactory, SessionFactory
from ._types import NOT_GIVEN, NotGiven, Omit, omit
from ._version import __version__
from ._wrappers import (
    AsyncResponseContextManager,
    ResponseContextManager,
    async_to_raw_response_wrapper,
    async_to_streamed_response_wrapper,
    to_raw_response_wrapper,
    to_streamed_response_wrapper,
)

# Names whose modules pull in aiohttp or marshmallow load on first use, so
# that ``import genai_base`` stays cheap for code that needs neither (PEP 562).
_LAZY = {
    "AsyncAPIClient": "._async",
    "ClientContainer": "._container",
    "Model": ".models",
    "Field": ".models",
    "ModelValidationError": ".models",
    "load_as": ".models",
}

if TYPE_CHECKING:
    from ._async import AsyncAPIClient
    from ._container import ClientContainer
    from .models import Field, Model, ModelValidationError, load_as


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'genai_base' has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))

__all__ = [
    "__version__",
    "SyncAPIClient",
    "AsyncAPIClient",
    "BaseClient",
    "ClientContainer",
    "FinalRequestOptions",
    "RequestOptions",
    "make_request_options",
    "Timeout",
    "TimeoutTypes",
    "DEFAULT_TIMEOUT",
    "DEFAULT_MAX_RESPONSE_SIZE",
    "DEFAULT_MAX_RETRIES",
    "NOT_GIVEN",
    "NotGiven",
    "Omit",
    "omit",
    "Querystring",
    "PreparedRequest",
    "Headers",
    "APIResponse",
    "Stream",
    "AsyncStream",
    "ServerSentEvent",
    "SSEDecoder",
    "StreamProtocol",
    "StreamContext",
    "StreamSignal",
    "OpenAIStreamProtocol",
    "AnthropicStreamProtocol",
    "RawStreamProtocol",
    "AsyncAPIResponse",
    "SyncAPIResource",
    "AsyncAPIResource",
    "to_raw_response_wrapper",
    "async_to_raw_response_wrapper",
    "to_streamed_response_wrapper",
    "async_to_streamed_response_wrapper",
    "ResponseContextManager",
    "AsyncResponseContextManager",
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
    "RateLimiterUnavailableError",
    "RetryBudgetExhaustedError",
    "InternalServerError",
    "APIConnectionError",
    "APITimeoutError",
    "PoolTimeoutError",
    "TooManyRedirectsError",
    "ResponseTooLargeError",
    "StreamInterruptedError",
    "APIResponseValidationError",
    "ConfigurationError",
    "PluginNotFoundError",
    "PluginLoadError",
    "PluginConflictError",
    "Model",
    "Field",
    "ModelValidationError",
    "load_as",
    "PageInfo",
    "Paginator",
    "CursorPaginator",
    "OffsetPaginator",
    "PageNumberPaginator",
    "LinkHeaderPaginator",
    "SyncPage",
    "AsyncPage",
    "AsyncPager",
    "PaginationError",
    "PaginationLoopError",
    "Auth",
    "NoAuth",
    "APIKeyAuth",
    "BearerAuth",
    "ResponseHead",
    "Hook",
    "LoggingHook",
    "RequestEvent",
    "ResponseEvent",
    "RetryEvent",
    "ErrorEvent",
    "EndEvent",
    "Policy",
    "PolicyContext",
    "RetryPolicy",
    "RetryOutcome",
    "ExponentialRetryPolicy",
    "NoRetryPolicy",
    "BudgetedRetryPolicy",
    "RetryBudget",
    "BudgetStore",
    "Serializer",
    "JSONSerializer",
    "SessionFactory",
    "AsyncSessionFactory",
    "RateLimiter",
    "LocalRateLimiter",
    "NoRateLimiter",
    "ServerFeedback",
    "read_feedback",
]
