"""The sync client: :class:`SyncAPIClient`, a blocking driver of the call flow on the ``requests`` transport."""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any, Callable, Literal, Optional, TypeVar, Union, overload

from ._base import BaseClient, Self
from ._engine import EXCHANGE, FEEDBACK, LIMIT, READ, SEND, SLEEP
from ._errors import APIError
from ._options import FinalRequestOptions, RequestOptions
from ._pagination import SyncPage
from ._process import PROCESS
from ._response import APIResponse
from ._settings import Settings
from ._streaming import Stream
from ._sync_verbs import SyncVerbs
from ._transports.requests import RequestsTransport

if TYPE_CHECKING:  # PEP 747: a cast_to may be any type form (a Union, Optional[...]), not only a class
    from typing_extensions import TypeForm

__all__ = ["SyncAPIClient"]

ResponseT = TypeVar("ResponseT")
StreamT = TypeVar("StreamT", bound=Stream[Any])


class _SharedSync:
    """What a client and its copies share: the transport (the pool), the retry policy and the rate limiter.

    A pool is never shared across processes: after ``os.fork()`` the child makes its
    own on first use and leaves the parent's sockets alone.
    """

    def __init__(self, make_session: Any, settings: Any, retry_policy: Any, rate_limiter: Any) -> None:
        self._make_session = make_session
        self.settings = settings
        self.retry_policy = retry_policy
        self.rate_limiter = rate_limiter
        self.closed = False
        self._lock = threading.Lock()
        self._generation = PROCESS.generation
        self._install(self._make_session(settings))

    def _install(self, session: Any) -> None:
        self.transport = transport = RequestsTransport(session, max_response_size=self.settings["max_response_size"])
        limiter = self.rate_limiter
        #: What performs each step of a call's flow (the sync flow asks no AUTH step).
        self.performers: dict[str, Callable[[Any], Any]] = {
            EXCHANGE: transport.exchange,
            SEND: transport.send,
            READ: _read,
            SLEEP: _pause,
            LIMIT: limiter.acquire,
            FEEDBACK: lambda response: limiter.feedback(response.status_code, response.headers),
        }

    def performers_here(self) -> dict[str, Callable[[Any], Any]]:
        """The step performers of this process (after a fork: of a new pool)."""
        self.for_this_process()
        return self.performers

    def for_this_process(self) -> RequestsTransport:
        if self._generation != PROCESS.generation:  # forked: never touch the parent's sockets
            with self._lock:
                if self._generation != PROCESS.generation:
                    self._install(self._make_session(self.settings))
                    self._generation = PROCESS.generation
        return self.transport


class SyncAPIClient(BaseClient, SyncVerbs):
    """A client on a ``requests.Session``: build, send, retry and parse, synchronously."""

    _shared: _SharedSync

    def _new_shared(self, settings: Settings) -> _SharedSync:
        make_session = self._container.session_factory(settings=settings)
        return _SharedSync(make_session, settings, self._retry_policy, self._rate_limiter)

    @property
    def _session(self) -> Any:
        """The ``requests.Session`` this client (and its copies) send with."""
        return self._shared.for_this_process().session

    # -- public API ------------------------------------------------------

    @overload
    def request(
        self,
        cast_to: TypeForm[ResponseT],
        options: FinalRequestOptions,
        *,
        stream: Literal[False] = False,
        stream_cls: None = None,
    ) -> ResponseT: ...

    @overload
    def request(
        self,
        cast_to: TypeForm[object],
        options: FinalRequestOptions,
        *,
        stream: Literal[True],
        stream_cls: type[StreamT],
    ) -> StreamT: ...

    @overload
    def request(
        self,
        cast_to: TypeForm[ResponseT],
        options: FinalRequestOptions,
        *,
        stream: Literal[True],
        stream_cls: None = None,
    ) -> Stream[ResponseT]: ...

    @overload
    def request(
        self,
        cast_to: TypeForm[ResponseT],
        options: FinalRequestOptions,
        *,
        stream: bool,
        stream_cls: Optional[type[StreamT]] = None,
    ) -> Union[ResponseT, StreamT, Stream[ResponseT]]: ...

    def request(
        self,
        cast_to: Any,
        options: FinalRequestOptions,
        *,
        stream: bool = False,
        stream_cls: Optional[type] = None,
    ) -> Any:
        """Send ``options``, retrying as the policy says, and return ``cast_to`` (or a stream)."""
        if self._prepares_options:
            options = self._prepare_options(options)
        call = self._start(options, cast_to, stream)
        shared = self._shared
        perform = shared.performers_here()
        flow = call.flow()
        try:
            for kind, arg in flow:  # perform each step the flow asks for; the flow reads the answer from the call
                try:
                    call.answer = perform[kind](arg)
                except APIError as exc:
                    call.failure = exc
        finally:
            flow.close()  # interrupted: the flow releases the response it holds
        return self._conclude(call, call.last_attempt, APIResponse, stream_cls, Stream)

    def close(self) -> None:
        """Close the connection pool (shared with copies)."""
        if not self._shared.closed:
            self._shared.closed = True
            self._shared.transport.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()

    def get_api_list(
        self,
        path: str,
        *,
        model: TypeForm[ResponseT],
        paginator: Any = None,
        body: Any = None,
        options: RequestOptions = {},
        method: str = "get",
    ) -> SyncPage[ResponseT]:
        """The first page of a listing; iterating it yields every item across all pages."""
        return SyncPage.first(
            self, path, model=model, paginator=paginator, body=body, options=options, method=method
        )


def _read(response: Any) -> bytes:
    return response.read()  # type: ignore[no-any-return]


def _pause(seconds: float) -> object:
    """Sleep for the flow (its answer is ``None``)."""
    time.sleep(seconds)
    return None
