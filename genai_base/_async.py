"""The async client: :class:`AsyncAPIClient`, an ``await``-ing driver of the call flow on the ``aiohttp`` transport."""

from __future__ import annotations

import asyncio
from typing import Any, Literal, Optional, TypeVar, Union, overload

from ._base import BaseClient, Self, _default
from ._engine import READ, SEND, SLEEP, AsyncAuthStep, FlowRunner
from ._errors import APIError
from ._multipart import files_need_reading, read_files
from ._options import FinalRequestOptions, RequestOptions
from ._pagination import AsyncPager
from ._response import APIResponse, AsyncAPIResponse
from ._settings import Settings
from ._streaming import AsyncStream
from ._transports.aiohttp import AiohttpTransport

__all__ = ["AsyncAPIClient"]

ResponseT = TypeVar("ResponseT")
StreamT = TypeVar("StreamT", bound=AsyncStream[Any])


# "async with MySDK(...) as client" gives a MySDK to the type checker, not an AsyncAPIClient.


class _SharedAsync:
    """What a client and its copies share: the transport (made lazily in the loop) and the retry policy."""

    def __init__(self, settings: Any, retry_policy: Any) -> None:
        self.settings = settings
        self.transport: Optional[AiohttpTransport] = None
        self.retry_policy = retry_policy
        self.closed = False


class AsyncAPIClient(BaseClient):
    """A client on an ``aiohttp.ClientSession``: build, send, retry and parse, with ``await``."""

    _is_async = True

    _shared: _SharedAsync

    def _new_shared(self, settings: Settings) -> _SharedAsync:
        return _SharedAsync(settings, self._retry_policy)

    @_default
    async def _prepare_options(self, options: FinalRequestOptions) -> FinalRequestOptions:  # type: ignore[override]
        """An SDK's say over a call's options, once per call before its request is built."""
        return options

    def _transport(self) -> AiohttpTransport:
        transport = self._shared.transport
        if transport is None:
            # Made on first use so it binds to the loop that runs the calls.
            session = self._container.async_session_factory(settings=self._settings)(self._settings)
            defaults = self._builder.default_headers
            transport = self._shared.transport = AiohttpTransport(session, self._settings, defaults)
        return transport

    # -- public API ------------------------------------------------------

    @overload
    async def request(  # type: ignore[overload-overlap]  # the raw wrapper first: AsyncAPIResponse here
        self,
        cast_to: type[APIResponse[ResponseT]],
        options: FinalRequestOptions,
        *,
        stream: Literal[False] = False,
        stream_cls: None = None,
    ) -> AsyncAPIResponse[ResponseT]: ...

    @overload
    async def request(
        self,
        cast_to: type[ResponseT],
        options: FinalRequestOptions,
        *,
        stream: Literal[False] = False,
        stream_cls: None = None,
    ) -> ResponseT: ...

    @overload
    async def request(
        self,
        cast_to: type[object],
        options: FinalRequestOptions,
        *,
        stream: Literal[True],
        stream_cls: type[StreamT],
    ) -> StreamT: ...

    @overload
    async def request(
        self,
        cast_to: type[ResponseT],
        options: FinalRequestOptions,
        *,
        stream: Literal[True],
        stream_cls: None = None,
    ) -> AsyncStream[ResponseT]: ...

    @overload
    async def request(
        self,
        cast_to: type[ResponseT],
        options: FinalRequestOptions,
        *,
        stream: bool,
        stream_cls: Optional[type[StreamT]] = None,
    ) -> Union[ResponseT, StreamT, AsyncStream[ResponseT]]: ...

    async def request(
        self,
        cast_to: Any,
        options: FinalRequestOptions,
        *,
        stream: bool = False,
        stream_cls: Optional[type] = None,
    ) -> Any:
        """Send ``options``, retrying as the policy says, and return ``cast_to`` (or a stream)."""
        if options.files is not None and files_need_reading(options.files):
            # Paths and OS files are read in a thread, not on the event loop.
            options = options.copy(files=await asyncio.to_thread(read_files, options.files))
        if self._prepares_options:
            options = await self._prepare_options(options)
        call = self._start(options, cast_to, stream)
        send = (self._shared.transport or self._transport()).send
        runner = FlowRunner(call.flow())
        try:
            while runner.step is not None:  # await each send, read, sleep and auth step the flow asks for
                kind, arg = runner.step
                result: Any
                try:
                    if kind is SEND:
                        result = await send(arg)
                    elif kind is READ:
                        result = await arg.read()
                    elif kind is SLEEP:
                        result = await asyncio.sleep(arg, None)
                    else:
                        result = await _auth_step(arg)
                except APIError as exc:
                    result = exc
                runner.answer(result)
        except BaseException:
            runner.close()
            raise
        return self._conclude(call, runner.attempt, AsyncAPIResponse, stream_cls, AsyncStream)

    @overload
    async def get(
        self,
        path: str,
        *,
        cast_to: type[APIResponse[ResponseT]],
        options: RequestOptions = {},
        stream: Literal[False] = False,
    ) -> AsyncAPIResponse[ResponseT]: ...

    @overload
    async def get(
        self,
        path: str,
        *,
        cast_to: type[ResponseT],
        options: RequestOptions = {},
        stream: Literal[False] = False,
        stream_cls: None = None,
    ) -> ResponseT: ...

    @overload
    async def get(
        self,
        path: str,
        *,
        cast_to: type[object],
        options: RequestOptions = {},
        stream: Literal[True],
        stream_cls: type[StreamT],
    ) -> StreamT: ...

    @overload
    async def get(
        self,
        path: str,
        *,
        cast_to: type[ResponseT],
        options: RequestOptions = {},
        stream: Literal[True],
        stream_cls: None = None,
    ) -> AsyncStream[ResponseT]: ...

    async def get(
        self,
        path: str,
        *,
        cast_to: Any,
        options: RequestOptions = {},
        stream: bool = False,
        stream_cls: Optional[type[Any]] = None,
    ) -> Any:
        """``GET path``; ``stream=True`` (with a ``stream_cls``) streams."""
        return await self.request(
            cast_to, FinalRequestOptions(method="get", url=path, **options), stream=stream, stream_cls=stream_cls
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
    ) -> AsyncAPIResponse[ResponseT]: ...

    @overload
    async def post(
        self,
        path: str,
        *,
        cast_to: type[ResponseT],
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
        cast_to: type[object],
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
        cast_to: type[ResponseT],
        body: Any = None,
        content: Any = None,
        files: Any = None,
        options: RequestOptions = {},
        stream: Literal[True],
        stream_cls: None = None,
    ) -> AsyncStream[ResponseT]: ...

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
        stream_cls: Optional[type[Any]] = None,
    ) -> Any:
        """``POST path``: a JSON ``body``, raw ``content`` or multipart ``files``; ``stream=True`` streams."""
        return await self.request(
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
    ) -> AsyncAPIResponse[ResponseT]: ...

    @overload
    async def put(
        self,
        path: str,
        *,
        cast_to: type[ResponseT],
        body: Any = None,
        content: Any = None,
        files: Any = None,
        options: RequestOptions = {},
    ) -> ResponseT: ...

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
        """``PUT path`` with a JSON ``body``, raw ``content`` or multipart ``files``."""
        return await self.request(
            cast_to, self._verb_options("put", path, body, content, files, options)
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
    ) -> AsyncAPIResponse[ResponseT]: ...

    @overload
    async def patch(
        self,
        path: str,
        *,
        cast_to: type[ResponseT],
        body: Any = None,
        content: Any = None,
        files: Any = None,
        options: RequestOptions = {},
    ) -> ResponseT: ...

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
        """``PATCH path`` with a JSON ``body``, raw ``content`` or multipart ``files``."""
        return await self.request(
            cast_to, self._verb_options("patch", path, body, content, files, options)
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
    ) -> AsyncAPIResponse[ResponseT]: ...

    @overload
    async def delete(
        self,
        path: str,
        *,
        cast_to: type[ResponseT],
        body: Any = None,
        content: Any = None,
        options: RequestOptions = {},
    ) -> ResponseT: ...

    async def delete(
        self,
        path: str,
        *,
        cast_to: Any,
        body: Any = None,
        content: Any = None,
        options: RequestOptions = {},
    ) -> Any:
        """``DELETE path`` with a JSON ``body``, raw ``content``."""
        return await self.request(
            cast_to, self._verb_options("delete", path, body, content, None, options)
        )

    def get_api_list(
        self,
        path: str,
        *,
        model: type[ResponseT],
        paginator: Any = None,
        body: Any = None,
        options: RequestOptions = {},
        method: str = "get",
    ) -> AsyncPager[ResponseT]:
        """An awaitable (the first page) that is also async-iterable (every item across pages)."""
        return AsyncPager(self, path, model=model, paginator=paginator, body=body, options=options, method=method)


    async def close(self) -> None:
        """Close the connection pool (shared with copies)."""
        if not self._shared.closed:
            self._shared.closed = True
            if self._shared.transport is not None:
                await self._shared.transport.close()

    aclose = close

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        await self.close()


async def _auth_step(step: AsyncAuthStep) -> Any:
    """The async auth flow's next request, or ``None`` once it is done."""
    try:
        if step.head is None:
            return await step.flow.__anext__()
        return await step.flow.asend(step.head)
    except StopAsyncIteration:
        return None
