"""The typed verbs of the async client: ``get/post/put/patch/delete`` over ``request()``.

Each verb is overloaded as ``request`` is: ``cast_to=T`` gives ``T``, ``cast_to=APIResponse[T]``
the raw ``AsyncAPIResponse[T]``;
``stream=True`` gives ``AsyncStream[T]`` (or the ``stream_cls`` given); a ``stream`` only known
at run time (``stream: bool``) gives either.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Literal, Optional, TypeVar, Union, overload

from ._options import FinalRequestOptions, RequestOptions
from ._response import APIResponse, AsyncAPIResponse
from ._streaming import AsyncStream

if TYPE_CHECKING:  # PEP 747: a cast_to may be any type form (a Union, Optional[...]), not only a class
    from typing_extensions import TypeForm

__all__ = ["AsyncVerbs"]

ResponseT = TypeVar("ResponseT")
StreamT = TypeVar("StreamT", bound=AsyncStream[Any])


class AsyncVerbs:
    """``get/post/put/patch/delete`` of AsyncAPIClient, each a call of its ``request()``.

    Each verb hands out ``request()``'s coroutine itself (awaited as any ``async def``): no
    frame of the verb's own is held while the call is in flight."""

    if TYPE_CHECKING:  # the client's own (overloaded there; the verbs pass their arguments through)
        request: Callable[..., Any]
        _verb_options: Callable[..., FinalRequestOptions]

    @overload
    async def get(
        self,
        path: str,
        *,
        cast_to: type[APIResponse[ResponseT]],
        options: RequestOptions = {},
        stream: Literal[False] = False,
        stream_cls: None = None,
    ) -> AsyncAPIResponse[ResponseT]: ...

    @overload
    async def get(
        self,
        path: str,
        *,
        cast_to: TypeForm[ResponseT],
        options: RequestOptions = {},
        stream: Literal[False] = False,
        stream_cls: None = None,
    ) -> ResponseT: ...

    @overload
    async def get(
        self,
        path: str,
        *,
        cast_to: TypeForm[object],
        options: RequestOptions = {},
        stream: Literal[True],
        stream_cls: type[StreamT],
    ) -> StreamT: ...

    @overload
    async def get(
        self,
        path: str,
        *,
        cast_to: TypeForm[ResponseT],
        options: RequestOptions = {},
        stream: Literal[True],
        stream_cls: None = None,
    ) -> AsyncStream[ResponseT]: ...

    @overload
    async def get(
        self,
        path: str,
        *,
        cast_to: TypeForm[ResponseT],
        options: RequestOptions = {},
        stream: bool,
        stream_cls: Optional[type[StreamT]] = None,
    ) -> Union[ResponseT, StreamT, AsyncStream[ResponseT]]: ...

    def get(
        self,
        path: str,
        *,
        cast_to: Any,
        options: RequestOptions = {},
        stream: bool = False,
        stream_cls: Optional[type[Any]] = None,
    ) -> Any:
        """``GET path``; ``stream=True`` (with a ``stream_cls``) streams."""
        return self.request(
            cast_to,
            FinalRequestOptions(method="get", url=path, **options),
            stream=stream,
            stream_cls=stream_cls,
        )

    @overload
    async def post(
        self,
        path: str,
        *,
        cast_to: type[APIResponse[ResponseT]],
        body: Any = None,
        content: Any = None,
        files: Any = None,
        options: RequestOptions = {},
        stream: Literal[False] = False,
        stream_cls: None = None,
    ) -> AsyncAPIResponse[ResponseT]: ...

    @overload
    async def post(
        self,
        path: str,
        *,
        cast_to: TypeForm[ResponseT],
        body: Any = None,
        content: Any = None,
        files: Any = None,
        options: RequestOptions = {},
        stream: Literal[False] = False,
        stream_cls: None = None,
    ) -> ResponseT: ...

    @overload
    async def post(
        self,
        path: str,
        *,
        cast_to: TypeForm[object],
        body: Any = None,
        content: Any = None,
        files: Any = None,
        options: RequestOptions = {},
        stream: Literal[True],
        stream_cls: type[StreamT],
    ) -> StreamT: ...

    @overload
    async def post(
        self,
        path: str,
        *,
        cast_to: TypeForm[ResponseT],
        body: Any = None,
        content: Any = None,
        files: Any = None,
        options: RequestOptions = {},
        stream: Literal[True],
        stream_cls: None = None,
    ) -> AsyncStream[ResponseT]: ...

    @overload
    async def post(
        self,
        path: str,
        *,
        cast_to: TypeForm[ResponseT],
        body: Any = None,
        content: Any = None,
        files: Any = None,
        options: RequestOptions = {},
        stream: bool,
        stream_cls: Optional[type[StreamT]] = None,
    ) -> Union[ResponseT, StreamT, AsyncStream[ResponseT]]: ...

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
        stream_cls: Optional[type[Any]] = None,
    ) -> Any:
        """``POST path``: a JSON ``body``, raw ``content`` or multipart ``files``; ``stream=True`` streams."""
        return self.request(
            cast_to,
            self._verb_options("post", path, body, content, files, options),
            stream=stream,
            stream_cls=stream_cls,
        )

    @overload
    async def put(
        self,
        path: str,
        *,
        cast_to: type[APIResponse[ResponseT]],
        body: Any = None,
        content: Any = None,
        files: Any = None,
        options: RequestOptions = {},
        stream: Literal[False] = False,
        stream_cls: None = None,
    ) -> AsyncAPIResponse[ResponseT]: ...

    @overload
    async def put(
        self,
        path: str,
        *,
        cast_to: TypeForm[ResponseT],
        body: Any = None,
        content: Any = None,
        files: Any = None,
        options: RequestOptions = {},
        stream: Literal[False] = False,
        stream_cls: None = None,
    ) -> ResponseT: ...

    @overload
    async def put(
        self,
        path: str,
        *,
        cast_to: TypeForm[object],
        body: Any = None,
        content: Any = None,
        files: Any = None,
        options: RequestOptions = {},
        stream: Literal[True],
        stream_cls: type[StreamT],
    ) -> StreamT: ...

    @overload
    async def put(
        self,
        path: str,
        *,
        cast_to: TypeForm[ResponseT],
        body: Any = None,
        content: Any = None,
        files: Any = None,
        options: RequestOptions = {},
        stream: Literal[True],
        stream_cls: None = None,
    ) -> AsyncStream[ResponseT]: ...

    @overload
    async def put(
        self,
        path: str,
        *,
        cast_to: TypeForm[ResponseT],
        body: Any = None,
        content: Any = None,
        files: Any = None,
        options: RequestOptions = {},
        stream: bool,
        stream_cls: Optional[type[StreamT]] = None,
    ) -> Union[ResponseT, StreamT, AsyncStream[ResponseT]]: ...

    def put(
        self,
        path: str,
        *,
        cast_to: Any,
        body: Any = None,
        content: Any = None,
        files: Any = None,
        options: RequestOptions = {},
        stream: bool = False,
        stream_cls: Optional[type[Any]] = None,
    ) -> Any:
        """``PUT path``: a JSON ``body``, raw ``content`` or multipart ``files``; ``stream=True`` streams."""
        return self.request(
            cast_to,
            self._verb_options("put", path, body, content, files, options),
            stream=stream,
            stream_cls=stream_cls,
        )

    @overload
    async def patch(
        self,
        path: str,
        *,
        cast_to: type[APIResponse[ResponseT]],
        body: Any = None,
        content: Any = None,
        files: Any = None,
        options: RequestOptions = {},
        stream: Literal[False] = False,
        stream_cls: None = None,
    ) -> AsyncAPIResponse[ResponseT]: ...

    @overload
    async def patch(
        self,
        path: str,
        *,
        cast_to: TypeForm[ResponseT],
        body: Any = None,
        content: Any = None,
        files: Any = None,
        options: RequestOptions = {},
        stream: Literal[False] = False,
        stream_cls: None = None,
    ) -> ResponseT: ...

    @overload
    async def patch(
        self,
        path: str,
        *,
        cast_to: TypeForm[object],
        body: Any = None,
        content: Any = None,
        files: Any = None,
        options: RequestOptions = {},
        stream: Literal[True],
        stream_cls: type[StreamT],
    ) -> StreamT: ...

    @overload
    async def patch(
        self,
        path: str,
        *,
        cast_to: TypeForm[ResponseT],
        body: Any = None,
        content: Any = None,
        files: Any = None,
        options: RequestOptions = {},
        stream: Literal[True],
        stream_cls: None = None,
    ) -> AsyncStream[ResponseT]: ...

    @overload
    async def patch(
        self,
        path: str,
        *,
        cast_to: TypeForm[ResponseT],
        body: Any = None,
        content: Any = None,
        files: Any = None,
        options: RequestOptions = {},
        stream: bool,
        stream_cls: Optional[type[StreamT]] = None,
    ) -> Union[ResponseT, StreamT, AsyncStream[ResponseT]]: ...

    def patch(
        self,
        path: str,
        *,
        cast_to: Any,
        body: Any = None,
        content: Any = None,
        files: Any = None,
        options: RequestOptions = {},
        stream: bool = False,
        stream_cls: Optional[type[Any]] = None,
    ) -> Any:
        """``PATCH path``: a JSON ``body``, raw ``content`` or multipart ``files``; ``stream=True`` streams."""
        return self.request(
            cast_to,
            self._verb_options("patch", path, body, content, files, options),
            stream=stream,
            stream_cls=stream_cls,
        )

    @overload
    async def delete(
        self,
        path: str,
        *,
        cast_to: type[APIResponse[ResponseT]],
        body: Any = None,
        content: Any = None,
        options: RequestOptions = {},
        stream: Literal[False] = False,
        stream_cls: None = None,
    ) -> AsyncAPIResponse[ResponseT]: ...

    @overload
    async def delete(
        self,
        path: str,
        *,
        cast_to: TypeForm[ResponseT],
        body: Any = None,
        content: Any = None,
        options: RequestOptions = {},
        stream: Literal[False] = False,
        stream_cls: None = None,
    ) -> ResponseT: ...

    @overload
    async def delete(
        self,
        path: str,
        *,
        cast_to: TypeForm[object],
        body: Any = None,
        content: Any = None,
        options: RequestOptions = {},
        stream: Literal[True],
        stream_cls: type[StreamT],
    ) -> StreamT: ...

    @overload
    async def delete(
        self,
        path: str,
        *,
        cast_to: TypeForm[ResponseT],
        body: Any = None,
        content: Any = None,
        options: RequestOptions = {},
        stream: Literal[True],
        stream_cls: None = None,
    ) -> AsyncStream[ResponseT]: ...

    @overload
    async def delete(
        self,
        path: str,
        *,
        cast_to: TypeForm[ResponseT],
        body: Any = None,
        content: Any = None,
        options: RequestOptions = {},
        stream: bool,
        stream_cls: Optional[type[StreamT]] = None,
    ) -> Union[ResponseT, StreamT, AsyncStream[ResponseT]]: ...

    def delete(
        self,
        path: str,
        *,
        cast_to: Any,
        body: Any = None,
        content: Any = None,
        options: RequestOptions = {},
        stream: bool = False,
        stream_cls: Optional[type[Any]] = None,
    ) -> Any:
        """``DELETE path`` with a JSON ``body`` or raw ``content``; ``stream=True`` streams."""
        return self.request(
            cast_to,
            self._verb_options("delete", path, body, content, None, options),
            stream=stream,
            stream_cls=stream_cls,
        )
