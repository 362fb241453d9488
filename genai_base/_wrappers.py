"""The response wrappers of resource methods: ``with_raw_response`` and ``with_streaming_response``.

``to_raw_response_wrapper(method)`` gives a callable with the method's
parameters that returns the raw :class:`~genai_base.APIResponse` (whose
``parse()`` gives what the method would have returned);
``to_streamed_response_wrapper(method)`` gives one that returns a context
manager yielding the response with its body not read yet, closed on exit.
The wrapped method must forward ``extra_headers`` into its request options
(as generated resource methods do): the wrapper asks for the raw response
through a marker header the client removes before sending. A listing method
(one returning ``get_api_list(...)``) gives the raw response of its first
page, whose ``parse()`` gives the page; the pages after it come as usual.
"""

from __future__ import annotations

import functools
from types import TracebackType
from typing import Any, Awaitable, Callable, Generic, Optional, ParamSpec, TypeVar, cast

from ._response import APIResponse, AsyncAPIResponse

__all__ = [
    "RAW_RESPONSE_HEADER",
    "ResponseContextManager",
    "AsyncResponseContextManager",
    "to_raw_response_wrapper",
    "async_to_raw_response_wrapper",
    "to_streamed_response_wrapper",
    "async_to_streamed_response_wrapper",
]

P = ParamSpec("P")
R = TypeVar("R")
ResponseT = TypeVar("ResponseT", bound="APIResponse[Any]")
AsyncResponseT = TypeVar("AsyncResponseT", bound="AsyncAPIResponse[Any]")

#: The marker header (never sent) by which a wrapper asks the client for the raw response.
RAW_RESPONSE_HEADER = "x-genai-base-raw-response"


def _marked(kwargs: dict[str, Any], mode: str) -> dict[str, Any]:
    headers = dict(kwargs.get("extra_headers") or {})
    headers[RAW_RESPONSE_HEADER] = mode
    return {**kwargs, "extra_headers": headers}


def to_raw_response_wrapper(method: Callable[P, R]) -> Callable[P, APIResponse[R]]:
    """``method`` returning its raw :class:`~genai_base.APIResponse` (``parse()`` gives what it returns)."""

    @functools.wraps(method)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> APIResponse[R]:
        return cast("APIResponse[R]", method(*args, **_marked(kwargs, "raw")))

    return wrapped


def async_to_raw_response_wrapper(method: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[AsyncAPIResponse[R]]]:
    """An async ``method`` returning its raw :class:`~genai_base.AsyncAPIResponse`."""

    @functools.wraps(method)
    async def wrapped(*args: P.args, **kwargs: P.kwargs) -> AsyncAPIResponse[R]:
        return cast("AsyncAPIResponse[R]", await method(*args, **_marked(kwargs, "raw")))

    return wrapped


class ResponseContextManager(Generic[ResponseT]):
    """``with``: makes the call on entry, yields its response (body unread), closes it on exit."""

    def __init__(self, make: Callable[[], ResponseT]) -> None:
        self._make = make
        self._response: Optional[ResponseT] = None

    def __enter__(self) -> ResponseT:
        self._response = self._make()
        return self._response

    def __exit__(
        self, kind: Optional[type[BaseException]], error: Optional[BaseException], tb: Optional[TracebackType]
    ) -> None:
        if self._response is not None:
            self._response.close()


class AsyncResponseContextManager(Generic[AsyncResponseT]):
    """``async with``: makes the call on entry, yields its response (body unread), closes it on exit."""

    def __init__(self, make: Callable[[], Awaitable[AsyncResponseT]]) -> None:
        self._make = make
        self._response: Optional[AsyncResponseT] = None

    async def __aenter__(self) -> AsyncResponseT:
        self._response = await self._make()
        return self._response

    async def __aexit__(
        self, kind: Optional[type[BaseException]], error: Optional[BaseException], tb: Optional[TracebackType]
    ) -> None:
        if self._response is not None:
            await self._response.close()


def to_streamed_response_wrapper(
    method: Callable[P, R],
) -> Callable[P, ResponseContextManager[APIResponse[R]]]:
    """``method`` as a context manager yielding its response with the body not read yet."""

    @functools.wraps(method)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> ResponseContextManager[APIResponse[R]]:
        marked = _marked(kwargs, "stream")
        return ResponseContextManager(lambda: cast("APIResponse[R]", method(*args, **marked)))

    return wrapped


def async_to_streamed_response_wrapper(
    method: Callable[P, Awaitable[R]],
) -> Callable[P, AsyncResponseContextManager[AsyncAPIResponse[R]]]:
    """An async ``method`` as an async context manager yielding its response with the body not read yet."""

    @functools.wraps(method)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> AsyncResponseContextManager[AsyncAPIResponse[R]]:
        marked = _marked(kwargs, "stream")

        async def make() -> AsyncAPIResponse[R]:
            return cast("AsyncAPIResponse[R]", await method(*args, **marked))

        return AsyncResponseContextManager(make)

    return wrapped
