"""The typed verbs of the sync client: ``get/post/put/patch/delete`` over ``request()``.

Each verb is overloaded as ``request`` is: ``cast_to=T`` gives ``T``;
``stream=True`` gives ``Stream[T]`` (or the ``stream_cls`` given); a ``stream`` only known
at run time (``stream: bool``) gives either.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Literal, Optional, TypeVar, Union, overload

from ._options import FinalRequestOptions, RequestOptions
from ._streaming import Stream

if TYPE_CHECKING:  # PEP 747: a cast_to may be any type form (a Union, Optional[...]), not only a class
    from typing_extensions import TypeForm

__all__ = ["SyncVerbs"]

ResponseT = TypeVar("ResponseT")
StreamT = TypeVar("StreamT", bound=Stream[Any])


class SyncVerbs:
    """``get/post/put/patch/delete`` of SyncAPIClient, each a call of its ``request()``."""

    if TYPE_CHECKING:  # the client's own (overloaded there; the verbs pass their arguments through)
        request: Callable[..., Any]
        _verb_options: Callable[..., FinalRequestOptions]

    @overload
    def get(
        self,
        path: str,
        *,
        cast_to: TypeForm[ResponseT],
        options: RequestOptions = {},
        stream: Literal[False] = False,
        stream_cls: None = None,
    ) -> ResponseT: ...

    @overload
    def get(
        self,
        path: str,
        *,
        cast_to: TypeForm[object],
        options: RequestOptions = {},
        stream: Literal[True],
        stream_cls: type[StreamT],
    ) -> StreamT: ...

    @overload
    def get(
        self,
        path: str,
        *,
        cast_to: TypeForm[ResponseT],
        options: RequestOptions = {},
        stream: Literal[True],
        stream_cls: None = None,
    ) -> Stream[ResponseT]: ...

    @overload
    def get(
        self,
        path: str,
        *,
        cast_to: TypeForm[ResponseT],
        options: RequestOptions = {},
        stream: bool,
        stream_cls: Optional[type[StreamT]] = None,
    ) -> Union[ResponseT, StreamT, Stream[ResponseT]]: ...

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
    def post(
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
    def post(
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
    def post(
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
    ) -> Stream[ResponseT]: ...

    @overload
    def post(
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
    ) -> Union[ResponseT, StreamT, Stream[ResponseT]]: ...

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
    def put(
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
    def put(
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
    def put(
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
    ) -> Stream[ResponseT]: ...

    @overload
    def put(
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
    ) -> Union[ResponseT, StreamT, Stream[ResponseT]]: ...

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
    def patch(
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
    def patch(
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
    def patch(
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
    ) -> Stream[ResponseT]: ...

    @overload
    def patch(
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
    ) -> Union[ResponseT, StreamT, Stream[ResponseT]]: ...

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
    def delete(
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
    def delete(
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
    def delete(
        self,
        path: str,
        *,
        cast_to: TypeForm[ResponseT],
        body: Any = None,
        content: Any = None,
        options: RequestOptions = {},
        stream: Literal[True],
        stream_cls: None = None,
    ) -> Stream[ResponseT]: ...

    @overload
    def delete(
        self,
        path: str,
        *,
        cast_to: TypeForm[ResponseT],
        body: Any = None,
        content: Any = None,
        options: RequestOptions = {},
        stream: bool,
        stream_cls: Optional[type[StreamT]] = None,
    ) -> Union[ResponseT, StreamT, Stream[ResponseT]]: ...

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
