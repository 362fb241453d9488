"""The async client: :class:`AsyncAPIClient`, an ``await``-ing driver of the call flow on the ``aiohttp`` transport."""

from __future__ import annotations

import asyncio
import threading
import warnings
from typing import TYPE_CHECKING, Any, AsyncIterator, Awaitable, Callable, Literal, Optional, TypeVar, Union, overload

from ._async_verbs import AsyncVerbs
from ._base import BaseClient, Self, _default
from ._engine import AUTH, AWAIT, EXCHANGE, FEEDBACK, LIMIT, READ, SEND, SLEEP, AsyncAuthStep
from ._errors import APIError
from ._multipart import files_need_reading, read_files
from ._options import FinalRequestOptions, RequestOptions
from ._pagination import AsyncPager
from ._process import PROCESS
from ._response import APIResponse, AsyncAPIResponse
from ._settings import Settings
from ._streaming import AsyncStream
from ._transports.aiohttp import AiohttpTransport

if TYPE_CHECKING:  # PEP 747: a cast_to may be any type form (a Union, Optional[...]), not only a class
    from typing_extensions import TypeForm

__all__ = ["AsyncAPIClient"]

ResponseT = TypeVar("ResponseT")
StreamT = TypeVar("StreamT", bound=AsyncStream[Any])
#: What performs each step of a call's flow, by its kind.
Performers = dict[str, Callable[[Any], Awaitable[Any]]]


# "async with MySDK(...) as client" gives a MySDK to the type checker, not an AsyncAPIClient.


class _SharedAsync:
    """What a client and its copies share: a transport per event loop (and per process), the retry
    policy and the rate limiter.

    aiohttp sessions belong to the loop they were made in, so each running loop
    gets its own (a client used from successive ``asyncio.run`` calls, or from
    pytest's per-test loops, just works). Each is closed when its loop shuts
    down: a small async generator started in that loop holds it, and the loop
    closes its async generators before it closes (``shutdown_asyncgens``).
    """

    def __init__(self, settings: Any, retry_policy: Any, rate_limiter: Any) -> None:
        self.settings = settings
        self.retry_policy = retry_policy
        self.rate_limiter = rate_limiter
        self.closed = False
        #: The loop, process and thread the last call ran in, and the performers of its transport:
        #: most calls find them here.
        self.current: tuple[Any, Optional[Performers]] = (None, None)
        self._by_loop: dict[tuple[asyncio.AbstractEventLoop, int], tuple[AiohttpTransport, Any, Performers]] = {}

    async def performers_for(self, loop: asyncio.AbstractEventLoop, make: Any) -> Performers:
        """What performs each step of a call's flow in ``loop``: its transport's methods, made on first use."""
        key = (loop, PROCESS.generation)  # after os.fork() a child never touches its parent's sockets
        found = self._by_loop.get(key)
        if found is None:
            for other, generation in list(self._by_loop):
                if other.is_closed() or generation != PROCESS.generation:
                    del self._by_loop[(other, generation)]  # that loop (or process) is gone, and so is its session
            transport = make()
            keeper = _close_when_the_loop_ends(transport)
            await keeper.__anext__()
            found = self._by_loop[key] = (transport, keeper, self._performers(transport))
        self.current = ((loop, PROCESS.generation, threading.get_ident()), found[2])
        return found[2]

    def _performers(self, transport: AiohttpTransport) -> Performers:
        limiter = self.rate_limiter
        return {
            EXCHANGE: transport.exchange,
            SEND: transport.send,
            READ: _read,
            SLEEP: _sleep,
            LIMIT: limiter.acquire_async,
            FEEDBACK: lambda response: limiter.feedback_async(response.status_code, response.headers),
            AUTH: _auth_step,
            AWAIT: _awaited,  # a retry policy's verdict that needs I/O (a shared budget): awaited as it is
        }

    async def close(self) -> None:
        """Close this loop's transport now; the others close as their loops end."""
        self.closed = True
        loop = asyncio.get_running_loop()
        found = self._by_loop.pop((loop, PROCESS.generation), None)
        self.current = (None, None)
        if found is not None:
            await found[0].close()

    def __del__(self) -> None:
        if not self.closed and self._by_loop:
            # Its sessions still close as their loops end (or their keepers are collected).
            warnings.warn("an AsyncAPIClient was not closed (call aclose())", ResourceWarning, stacklevel=1)


async def _close_when_the_loop_ends(transport: AiohttpTransport) -> AsyncIterator[None]:
    try:
        yield
    finally:
        await transport.close()


class AsyncAPIClient(BaseClient, AsyncVerbs):
    """A client on an ``aiohttp.ClientSession``: build, send, retry and parse, with ``await``."""

    _is_async = True

    _shared: _SharedAsync

    def _new_shared(self, settings: Settings) -> _SharedAsync:
        return _SharedAsync(settings, self._retry_policy, self._rate_limiter)

    @_default
    async def _prepare_options(self, options: FinalRequestOptions) -> FinalRequestOptions:  # type: ignore[override]
        """An SDK's say over a call's options, once per call before its request is built."""
        return options

    def _make_transport(self) -> AiohttpTransport:
        # Made in the loop that runs the calls, which the session binds to.
        session = self._container.async_session_factory(settings=self._settings)(self._settings)
        return AiohttpTransport(session, self._settings)

    # -- public API ------------------------------------------------------

    @overload
    async def request(  # the raw wrapper first: AsyncAPIResponse here
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
        cast_to: TypeForm[ResponseT],
        options: FinalRequestOptions,
        *,
        stream: Literal[False] = False,
        stream_cls: None = None,
    ) -> ResponseT: ...

    @overload
    async def request(
        self,
        cast_to: TypeForm[object],
        options: FinalRequestOptions,
        *,
        stream: Literal[True],
        stream_cls: type[StreamT],
    ) -> StreamT: ...

    @overload
    async def request(
        self,
        cast_to: TypeForm[ResponseT],
        options: FinalRequestOptions,
        *,
        stream: Literal[True],
        stream_cls: None = None,
    ) -> AsyncStream[ResponseT]: ...

    @overload
    async def request(
        self,
        cast_to: TypeForm[ResponseT],
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
        shared = self._shared
        key, perform = shared.current
        # Still the last call's loop: that loop runs a task in this thread now (ours). Asked so, not by
        # asyncio.get_running_loop(), which on Python 3.11 makes a getpid() system call.
        if (
            perform is None
            or key[1] != PROCESS.generation
            or key[2] != threading.get_ident()
            or asyncio.current_task(key[0]) is None
        ):
            perform = await shared.performers_for(asyncio.get_running_loop(), self._make_transport)
        flow = call.flow()
        try:
            for kind, arg in flow:  # await each step the flow asks for; the flow reads the answer from the call
                try:
                    call.answer = await perform[kind](arg)
                except APIError as exc:
                    call.failure = exc
        finally:
            flow.close()  # interrupted: the flow releases the response it holds
        return self._conclude(call, call.last_attempt, AsyncAPIResponse, stream_cls, AsyncStream)

    def get_api_list(
        self,
        path: str,
        *,
        model: TypeForm[ResponseT],
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
            await self._shared.close()

    aclose = close

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        await self.close()


def _read(response: Any) -> Awaitable[bytes]:
    return response.read()  # type: ignore[no-any-return]


def _sleep(seconds: float) -> Awaitable[None]:
    return asyncio.sleep(seconds)


def _awaited(awaitable: Awaitable[Any]) -> Awaitable[Any]:
    return awaitable


async def _auth_step(step: AsyncAuthStep) -> Any:
    """The async auth flow's next request, or ``None`` once it is done."""
    try:
        if step.head is None:
            return await step.flow.__anext__()
        return await step.flow.asend(step.head)
    except StopAsyncIteration:
        return None
