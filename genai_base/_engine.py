"""One call as a flow, shared by both shells: attempts, retries, redirects, auth, deadline, hooks.

:meth:`Call.flow` is a generator. It yields what it needs done — send a
request, read a body, sleep (the ``SEND``, ``READ``, ``SLEEP`` and ``AUTH``
steps below) — and, resumed, takes the result from :attr:`Call.answer` (or
raises, where the step was asked, the transport's
:class:`~genai_base.APIError` the driver put in :attr:`Call.failure`).
It leaves the last :class:`Attempt` in :attr:`Call.last_attempt`;
:meth:`Call.conclude` turns that into what the call returns. No I/O
happens here and time is read through the clock the engine is given, so a
scripted driver can run a call with no sockets at all. The sync client
drives the flow with blocking calls, the async client with ``await``;
neither makes a decision of its own.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, AsyncGenerator, Callable, Generator, NoReturn, Optional, cast
from urllib.parse import parse_qsl, urlencode, urljoin

from ._auth import NoAuth, ResponseHead
from ._errors import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    PoolTimeoutError,
    RetryBudgetExhaustedError,
    TooManyRedirectsError,
)
from ._headers import Headers
from ._hooks import EndEvent, ErrorEvent, HookRunner, RequestEvent, ResponseEvent, RetryEvent, new_call_id
from ._options import FinalRequestOptions, Timeout
from ._parse import (
    checked_cast,
    decode_error_body,
    parse_body,
    raw_response_inner,
    shown_body,
)
from ._policies import PolicyContext, PolicyRunner
from ._redact import SECRET_HEADERS, redact_error, redact_url
from ._request import RETRY_COUNT_HEADER, PreparedRequest, RequestBuilder, origin_of
from ._retry import RetryOutcome, RetryPolicy
from ._serializers import SerializerRegistry
from ._types import NOT_GIVEN, NotGiven, Omit

__all__ = [
    "AUTH",
    "AWAIT",
    "Action",
    "Attempt",
    "AsyncAuthStep",
    "Call",
    "EXCHANGE",
    "EngineConfig",
    "FEEDBACK",
    "FlowRunner",
    "LIMIT",
    "READ",
    "REDIRECT_STATUSES",
    "SEND",
    "SLEEP",
]

#: The statuses a call may follow as redirects.
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_TIMEOUTS = (APITimeoutError, PoolTimeoutError)
_BODY_HEADERS = ("content-type", "content-length", "transfer-encoding")


# -- what the flow asks of its driver --------------------------------------------------
#
# The flow yields ``(kind, argument)`` pairs (plain tuples: one is made per step of
# every request); the driver puts the result in ``Call.answer`` (an APIError in
# ``Call.failure``) and asks for the next step. Answers go by the call rather than by
# ``generator.send``, so a driver steps the flow with a plain ``for`` loop: no frame and
# no exception of its own per step.

#: ``(SEND, request)``: send the request (no redirects followed); answer with the response head.
SEND = "send"
#: ``(EXCHANGE, request)``: send the request and read its whole body (no redirects followed); answer
#: with ``(response, body)``. Asked instead of ``SEND`` then ``READ`` when the call wants every body
#: read and nothing sits between the two (no auth flow, no rate limiter): one step less per attempt.
EXCHANGE = "exchange"
#: ``(READ, response)``: read the whole body, releasing the connection; answer with the bytes.
READ = "read"
#: ``(SLEEP, seconds)``: wait; answer with ``None``.
SLEEP = "sleep"
#: ``(AUTH, AsyncAuthStep)``: advance an async auth flow; answer with its next request or ``None``.
AUTH = "auth"
#: ``(LIMIT, timeout)``: wait for the rate limiter's slot, at most ``timeout`` s (``None``: no bound);
#: answer with ``None``, or with the limiter's error (the call ends with it, not retried).
LIMIT = "limit"
#: ``(FEEDBACK, response)``: show the response head to the rate limiter; answer with ``None``.
FEEDBACK = "feedback"
#: ``(AWAIT, awaitable)`` (async client only): await it; answer with its result, or its APIError.
#: The retry policy's ``should_retry_async``, when it has one (a budget shared over the network).
AWAIT = "await"


@dataclass(slots=True)
class AsyncAuthStep:
    """An async auth flow to advance (``head`` ``None`` starts it)."""

    flow: AsyncGenerator[PreparedRequest, ResponseHead]
    head: Optional[ResponseHead]


Action = tuple[str, Any]
Flow = Generator[Action, None, None]


class FlowRunner:
    """Steps a call's flow by hand, as a scripted driver does.

    :attr:`step` is what the flow asks now (``None`` once it is done);
    :meth:`answer` hands back the result (an :class:`~genai_base.APIError`
    to raise there) and moves to the next step; :attr:`attempt` is the last
    attempt once done. The clients drive the same flow with a ``for`` loop.
    """

    __slots__ = ("_call", "_flow", "step")

    def __init__(self, call: "Call") -> None:
        self._call = call
        self._flow = call.flow()
        self.step: Optional[Action] = next(self._flow, None)

    @property
    def attempt(self) -> Optional["Attempt"]:
        """The flow's last attempt (``None`` until it is done)."""
        return self._call.last_attempt

    def answer(self, result: Any) -> None:
        """Hand ``result`` (or an error to raise there) back to the flow; sets the next ``step``."""
        if isinstance(result, APIError):
            self._call.failure = result
        else:
            self._call.answer = result
        self.step = next(self._flow, None)

    def close(self) -> None:
        """Stop the flow early (the driver was interrupted): it releases the response it holds."""
        self._flow.close()


@dataclass
class EngineConfig:
    """What a client hands its calls, resolved once per client (shared with its copies where they share)."""

    builder: RequestBuilder
    retry_policy: RetryPolicy
    hooks: HookRunner
    auth: Any
    serializers: SerializerRegistry
    strict: bool
    max_retries: int
    timeout: Any
    deadline: Optional[float]
    max_redirects: int
    make_status_error: Callable[..., APIStatusError]
    clock: Callable[[], float]
    #: Whether the driver can run ``async_auth_flow`` (the async client).
    is_async: bool = False
    #: The client's ``_prepare_request``, when an SDK overrides it: called before every attempt.
    prepare_request: Optional[Callable[[PreparedRequest], Optional[PreparedRequest]]] = None
    #: The client's policies (``None``: none), run for every attempt.
    policies: Optional[PolicyRunner] = None
    #: Whether the flow asks the client's rate limiter (``LIMIT``/``FEEDBACK`` steps); off for ``none``.
    rate_limited: bool = False

    def __post_init__(self) -> None:
        # Looked up once: a call tells the policy of every accepted response.
        self.on_success: Optional[Callable[[RetryOutcome], None]] = getattr(self.retry_policy, "on_success", None)
        self.plain_auth = type(self.auth) is NoAuth  # nothing to sign: no auth flow per request
        signer = getattr(self.auth, "signer", None)
        if signer is not None and not callable(signer):
            raise TypeError(f"the auth component's signer must be callable or None, got {type(signer).__name__}")
        #: The auth component's whole flow when it only signs (see Auth): no flow steps per attempt.
        self.signer = cast(Optional[Callable[[PreparedRequest], PreparedRequest]], signer)
        extra = getattr(self.auth, "sensitive_headers", ())
        self.secret_headers = SECRET_HEADERS | {h.lower() for h in extra}
        self.secret_params = frozenset(getattr(self.auth, "sensitive_query_params", ()))
        self.async_auth_flow = getattr(self.auth, "async_auth_flow", None) if self.is_async else None
        # A policy whose verdict needs I/O (a budget in Redis) is awaited on the async client (AWAIT step).
        self.async_should_retry = getattr(self.retry_policy, "should_retry_async", None) if self.is_async else None


@dataclass(slots=True)
class Attempt:
    """What one attempt ended with: a response (its body read unless streamed) or an error."""

    request: PreparedRequest
    response: Any = None
    content: Optional[bytes] = None
    error: Optional[APIError] = None
    #: How long the attempt took, in seconds.
    seconds: float = 0.0
    #: True when the attempt got a response the call accepts.
    ok: bool = False

    @property
    def elapsed(self) -> timedelta:
        """How long the attempt took (made when asked: most calls never read it)."""
        return timedelta(seconds=self.seconds)

    @property
    def status_code(self) -> Optional[int]:
        """The response's status, if it got one."""
        return None if self.response is None else self.response.status_code

    @property
    def headers(self) -> Optional[Headers]:
        """The response's headers, if it got one."""
        return None if self.response is None else self.response.headers


class Call:
    """The state and the decisions of one logical call (all its attempts)."""

    __slots__ = (
        "_call_id",
        "_policy_context",
        "_retry_wait",
        "answer",
        "cast_to",
        "config",
        "deadline",
        "deadline_passed",
        "failure",
        "follow_redirects",
        "last_attempt",
        "max_retries",
        "options",
        "raw_cast",
        "raw_type",
        "refusal",
        "request",
        "retries_taken",
        "started",
        "stream",
        "stream_requested",
        "wrapper",
    )

    def __init__(
        self,
        config: EngineConfig,
        options: FinalRequestOptions,
        cast_to: Any = object,
        stream: bool = False,
        builder: Optional[RequestBuilder] = None,
        wrapper: Optional[str] = None,
    ) -> None:
        self.config = config
        self.options = options
        max_retries = options.max_retries
        self.max_retries = max_retries if type(max_retries) is int else config.max_retries  # checked: no bool
        timeout = options.timeout
        if timeout is NOT_GIVEN or isinstance(timeout, NotGiven):
            timeout = config.timeout
        if type(timeout) is not Timeout:
            timeout = Timeout.coerce(timeout)
        deadline = options.deadline
        if deadline is NOT_GIVEN or isinstance(deadline, NotGiven):
            deadline = config.deadline
        self.deadline: Optional[float] = deadline
        # Only the deadline and the ``end`` event need the start.
        self.started = 0.0 if deadline is None and not config.hooks.ends else config.clock()
        # The builder carries the client's default headers and query (an SDK's per-request ones).
        self.request = (builder or config.builder).build(options, timeout)  # with the retry count header ("0")
        self.follow_redirects = True if options.follow_redirects is None else options.follow_redirects
        self.cast_to = cast_to
        # A cast_to the client cannot produce fails here, before anything is sent. A response wrapper
        # (``with_raw_response``: "raw", ``with_streaming_response``: "stream") asks for the raw
        # response of a method whose own ``cast_to`` its ``parse()`` still gives.
        self.raw_cast = checked_cast(cast_to)
        self.raw_type = self.raw_cast or wrapper is not None
        self.stream = stream or wrapper == "stream"
        self.stream_requested = stream
        self.wrapper = wrapper
        self.retries_taken = 0
        self.refusal: Optional[str] = None  # why a retry the policy wanted was not made
        self.deadline_passed = False
        self._call_id: Optional[str] = None
        self._policy_context: Optional[PolicyContext] = None
        #: The result of the step the flow asked last (set by the driver).
        self.answer: Any = None
        #: The transport's error for that step instead (set by the driver; raised in the flow).
        self.failure: Optional[APIError] = None
        #: The flow's last attempt, once it is done.
        self.last_attempt: Optional[Attempt] = None

    # Each step's answer is read inline where the flow asked for it (``self.answer if self.failure
    # is None else self._fail()``): a method for the read would put a call back on every step.
    def _fail(self) -> NoReturn:
        """Raise, in the flow, the error the driver got for the step just asked."""
        failure, self.failure = self.failure, None
        assert failure is not None
        raise failure

    @property
    def call_id(self) -> str:
        """The id every hook record of this call carries (made for the first record)."""
        if self._call_id is None:
            self._call_id = new_call_id()
        return self._call_id

    # -- the flow --------------------------------------------------------------------

    def flow(self) -> Flow:
        """Every attempt of the call, until one is accepted or no retry is left; the last in :attr:`last_attempt`."""
        config = self.config
        clock = config.clock
        # Every body read at once, nothing between the send and the read: one EXCHANGE step.
        exchange = not self.stream and not config.rate_limited
        while True:
            if config.rate_limited:
                try:  # a slot before each attempt (and before its timeouts are cut to the deadline)
                    yield LIMIT, self._slot_timeout()
                    if self.failure is not None:
                        self._fail()
                except APIError as exc:  # no slot in time, or the limiter is unavailable: nothing sent
                    self.last_attempt = self._failed(self.request, exc, clock())
                    return
            watched = config.hooks.watching_attempts()  # asked once per attempt (usually: no)
            request = self._next_request(watched)
            started = clock()
            response = content = None
            try:
                sent = request
                hops = 0
                signing = not config.plain_auth
                signer = config.signer
                while True:  # the hops of the redirects the call follows
                    if signing and signer is None:
                        response = yield from self._send_signed(sent)
                    else:
                        out = self._own_headers_over(signer(sent)) if signing and signer is not None else sent
                        if exchange:
                            yield EXCHANGE, out
                            response, content = self.answer if self.failure is None else self._fail()
                        else:
                            yield SEND, out
                            response = self.answer if self.failure is None else self._fail()
                    status = response.status_code
                    if status not in REDIRECT_STATUSES or not self.follow_redirects:
                        break
                    following = self._redirect(sent, status, response.headers, hops)
                    if following is None:
                        break
                    hops += 1
                    if origin_of(following.url) != origin_of(sent.url):
                        signing = False  # auth signs only the original origin
                    response.close()
                    response, content, sent = None, None, following
                if config.rate_limited:
                    yield FEEDBACK, response  # a 429/503 retry-after or x-ratelimit-* reaches every sharer
                    if self.failure is not None:
                        self._fail()
                accepted = 200 <= status < 300 or (self.raw_type and 300 <= status < 400)
                if content is None and (not accepted or not self.stream):
                    # Read here, so a body cut off is retried like any failed attempt.
                    yield READ, response
                    content = self.answer if self.failure is None else self._fail()
            except APIError as exc:
                if response is not None:
                    response.close()
                attempt = self._failed(request, exc, started)
            except BaseException:
                if response is not None:
                    response.close()
                raise
            else:
                attempt = self._received(sent, response, content, accepted, started, watched)
                if accepted:
                    self.last_attempt = attempt
                    return
            if not (yield from self._should_retry(attempt)):
                self.last_attempt = attempt
                return
            wait = self._retry_wait
            self._before_retry(attempt, wait)
            if wait > 0:
                yield SLEEP, wait
                if self.failure is not None:
                    self._fail()

    def _send_signed(self, request: PreparedRequest) -> Generator[Action, None, Any]:
        """Send through the auth flow: sign, and re-send after a refresh if the flow asks to."""
        async_flow = self.config.async_auth_flow
        if async_flow is not None:
            aflow = async_flow(request)
            yield AUTH, AsyncAuthStep(aflow, None)
            signed = self.answer if self.failure is None else self._fail()
            while True:
                yield SEND, self._own_headers_over(signed)
                response = self.answer if self.failure is None else self._fail()
                yield AUTH, AsyncAuthStep(aflow, ResponseHead(response.status_code, response.headers))
                following = self.answer if self.failure is None else self._fail()
                if following is None:
                    return response
                response.close()
                signed = following
        flow = self.config.auth.auth_flow(request)
        signed = next(flow)
        while True:
            yield SEND, self._own_headers_over(signed)
            response = self.answer if self.failure is None else self._fail()
            try:
                signed = flow.send(ResponseHead(response.status_code, response.headers))
            except StopIteration:
                return response
            response.close()

    def _own_headers_over(self, signed: PreparedRequest) -> PreparedRequest:
        """A per-call header beats the auth component's header of the same name; ``Omit`` removes either."""
        own = self.options.headers
        if not own or isinstance(own, NotGiven) or signed.headers is self.request.headers:
            return signed
        headers = signed.headers
        for name, value in own.items():
            if type(value) is str:
                if headers.get(name) != value:
                    headers[name] = value
            elif isinstance(value, Omit) and name in headers:
                del headers[name]
        return signed
    def _slot_timeout(self) -> Optional[float]:
        """How long the rate limiter may make an attempt wait: the deadline left, else the ``total`` timeout."""
        if self.deadline is not None:
            return max(self.deadline - (self.config.clock() - self.started), 0.0)
        return self.request.timeout.total

    def _next_request(self, watched: bool = True) -> PreparedRequest:
        """The request for the next attempt: retry count, timeouts cut to the deadline, the SDK's and policies' say."""
        config = self.config
        request = self.request
        if self.retries_taken or self.deadline is not None or config.prepare_request or config.policies:
            # A copy: the call's own request stays as built. The count goes on from the one it was built
            # with (a stream's reconnect is built with the retries its stream took before it).
            count = _built_retry_count(request) + self.retries_taken
            request = request.with_headers(**{RETRY_COUNT_HEADER: str(count)})
        if self.deadline is not None:
            remaining = max(self.deadline - (config.clock() - self.started), 0.001)
            request.timeout = _clip(request.timeout, remaining)
        if config.prepare_request is not None:
            request = config.prepare_request(request) or request
        if config.policies is not None:
            request = config.policies.request(request, self._context())
        hooks = config.hooks
        if watched and hooks.listening("on_request"):
            hooks.emit(
                "on_request",
                RequestEvent(
                    request.method,
                    redact_url(request.url),
                    request.headers.redacted(self.config.secret_headers),
                    self.retries_taken,
                    call_id=self.call_id,
                ),
            )
        return request

    def _received(
        self,
        request: PreparedRequest,
        response: Any,
        content: Optional[bytes],
        accepted: bool,
        started: float,
        watched: bool = True,
    ) -> Attempt:
        config = self.config
        seconds = config.clock() - started
        hooks = config.hooks
        if watched and hooks.listening("on_response"):
            hooks.emit(
                "on_response",
                ResponseEvent(
                    request.method,
                    redact_url(request.url),
                    response.status_code,
                    response.headers.redacted(config.secret_headers),
                    timedelta(seconds=seconds),
                    self.retries_taken,
                    call_id=self.call_id,
                ),
            )
        if config.policies is not None:
            config.policies.response(response, self._context())
        attempt = Attempt(request, response, content, None, seconds, accepted)
        if accepted and config.on_success is not None:  # a budget earns back what retries cost
            config.on_success(self._outcome(attempt))
        return attempt

    def _context(self) -> PolicyContext:
        context = self._policy_context
        if context is None:
            context = self._policy_context = PolicyContext(self.call_id, self.options)
        context.attempt = self.retries_taken
        return context

    def _failed(self, request: PreparedRequest, error: APIError, started: float) -> Attempt:
        if error.request is None:
            error.request = request
        # Transport messages quote the signed URL: keep query-string credentials out.
        redact_error(error, self.config.secret_params)
        return Attempt(request, error=error, seconds=self.config.clock() - started)

    # -- retries ---------------------------------------------------------------------

    def _outcome(self, attempt: Attempt) -> RetryOutcome:
        return RetryOutcome(
            retries_taken=self.retries_taken,
            max_retries=self.max_retries,
            options=self.options,
            status_code=attempt.status_code,
            headers=attempt.headers,
            exception=attempt.error,
            time_left=None if self.deadline is None else self.deadline - (self.config.clock() - self.started),
        )

    def _should_retry(self, attempt: Attempt) -> Generator[Action, None, bool]:
        """Whether to retry a failed attempt; the wait is kept in ``_retry_wait``.

        In order: a timeout once the deadline has passed ends the call; so do
        ``max_retries`` and the policy's verdict (a budget refusal is kept for
        the error message); a retry whose wait would outlast the deadline is
        not made.
        """
        if self.deadline is not None and isinstance(attempt.error, _TIMEOUTS) and self._past_deadline(0.0):
            self.deadline_passed = True  # the attempt's timeouts were cut to the deadline
            return False
        if self.retries_taken >= self.max_retries:
            return False
        policy = self.config.retry_policy
        outcome = self._outcome(attempt)
        try:
            if self.config.async_should_retry is not None:
                yield AWAIT, self.config.async_should_retry(outcome)
                verdict = self.answer if self.failure is None else self._fail()
            else:
                verdict = policy.should_retry(outcome)
            if not verdict:
                return False
        except RetryBudgetExhaustedError as exc:
            self.refusal = exc.message
            return False
        if not self.request.rewind():  # a file body goes back to its start; an iterator cannot
            self.refusal = f"not retried: {self.request.not_rewindable_reason()}"
            return False
        wait = _sane_wait(policy.wait(outcome))
        if self.deadline is not None and self._past_deadline(wait):
            self.deadline_passed = True
            return False
        self._retry_wait = wait
        return True

    def _past_deadline(self, wait: float) -> bool:
        assert self.deadline is not None
        return (self.config.clock() - self.started) + wait >= self.deadline

    def _before_retry(self, attempt: Attempt, wait: float) -> None:
        hooks = self.config.hooks
        if hooks.listening("on_retry"):
            budget = getattr(self.config.retry_policy, "available_tokens", None)
            reason = str(attempt.error) if attempt.error else f"status {attempt.status_code}"
            hooks.emit(
                "on_retry",
                RetryEvent(
                    attempt.request.method,
                    redact_url(attempt.request.url),
                    self.retries_taken,
                    reason,
                    wait,
                    budget,
                    call_id=self.call_id,
                ),
            )
        self.retries_taken += 1

    # -- redirects -------------------------------------------------------------------

    def _redirect(
        self, request: PreparedRequest, status: int, headers: Headers, hops: int
    ) -> Optional[PreparedRequest]:
        """The next hop for a 3xx, or ``None`` to stop here; raises past ``max_redirects``."""
        location = headers.get("location")
        if not location:
            return None
        max_redirects = self.config.max_redirects
        if hops + 1 > max_redirects:
            raise TooManyRedirectsError(
                f"more than {max_redirects} redirects (last to {redact_url(location)})", request=request
            )
        try:
            url = urljoin(request.url, location.strip())
            target = origin_of(url)
        except ValueError as exc:
            raise APIConnectionError(f"the server redirected to a malformed location: {exc}", request=request) from exc
        if "\\" in location or target[0] not in ("http", "https") or not target[1]:
            raise APIConnectionError(
                f"refusing to follow a redirect to an ambiguous or unsupported location "
                f"{redact_url(location)!r} ({request.method} {redact_url(request.url)})",
                request=request,
            )
        method, content, form, files = request.method, request.content, request.form, request.files
        new_headers = request.headers.copy()
        if (status == 303 and method != "HEAD") or (status in (301, 302) and method == "POST"):
            method, content, form, files = "GET", None, None, None
            new_headers.pop_all(_BODY_HEADERS)
        if content is not None and not request.rewind():  # the body is sent again: from its start
            self.refusal = (
                f"the {status} redirect to {redact_url(url)} was not followed: {request.not_rewindable_reason()}"
            )
            return None
        if target != origin_of(request.url):
            url = self._strip_credentials(url, new_headers)
        body_start = request.body_start if content is not None else None
        return PreparedRequest(method, url, new_headers, content, form, files, request.timeout, body_start)

    def _strip_credentials(self, url: str, headers: Headers) -> str:
        headers.pop_all(self.config.secret_headers)
        secret_params = self.config.secret_params
        if secret_params and "?" in url:
            base, _, query = url.partition("?")
            pairs = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k not in secret_params]
            url = f"{base}?{urlencode(pairs)}" if pairs else base
        return url

    # -- the end ---------------------------------------------------------------------

    def conclude(self, attempt: Attempt, response_cls: type) -> tuple[Any, bool]:
        """What the call returns for its last attempt, and whether the driver wraps it in a stream.

        A plain call gets its loaded body; a raw call its ``response_cls``
        response; a streamed call the response to wrap (``True``). A failed
        call raises its final error.
        """
        hooks = self.config.hooks
        ends = hooks.ends and hooks.listening("on_end")  # asked once per call: most calls build no record
        try:
            if not attempt.ok:
                raise self._final_error(attempt, response_cls)
            if not self.stream and not self.raw_type:
                try:  # no response wrapper is made for a plain call; an error still carries one
                    value = parse_body(
                        self.cast_to,
                        attempt.content,  # type: ignore[arg-type]  # read: the call is not streamed
                        content_type=attempt.response.content_type,
                        serializers=self.config.serializers,
                        strict=self.config.strict,
                    )
                except APIResponseValidationError as exc:
                    response = self.response(response_cls, attempt)
                    exc.response, exc.status_code, exc.request = response, response.status_code, attempt.request
                    raise
                post_parser = self.options.post_parser
                concluded = (value if post_parser is None else post_parser(value)), False
            else:
                made = self.response(response_cls, attempt)
                if self.stream and hooks.hooks:
                    made._call_id = self.call_id  # what a resumed stream's retry event names
                concluded = made, self.stream and not self.raw_type
        except BaseException as exc:
            if ends:
                self._end(attempt, exc)
            raise
        if ends:
            self._end(attempt, None)
        return concluded

    def _end(self, attempt: Attempt, error: Optional[BaseException]) -> None:
        """The ``end`` event: once per call, whatever the outcome."""
        config = self.config
        config.hooks.emit(
            "on_end",
            EndEvent(
                attempt.request.method,
                redact_url(attempt.request.url),
                "success" if error is None else "error",
                self.retries_taken + 1,
                timedelta(seconds=config.clock() - self.started),
                error,
                call_id=self.call_id,
            ),
        )

    def response(self, response_cls: type, attempt: Attempt) -> Any:
        """The driver's response wrapper for ``attempt`` (its body already read unless streamed)."""
        config = self.config
        return response_cls(
            raw=attempt.response,
            http_request=attempt.request,
            cast_to=raw_response_inner(self.cast_to) if self.raw_cast else self.cast_to,
            serializers=config.serializers,
            strict=config.strict,
            retries_taken=self.retries_taken,
            elapsed=attempt.elapsed,
            content=attempt.content,
            post_parser=self.options.post_parser,
        )

    def _final_error(self, attempt: Attempt, response_cls: type) -> APIError:
        error: APIError
        if attempt.error is not None:
            error = attempt.error
        else:
            error = self._status_error(attempt, self.response(response_cls, attempt))
        if self.deadline_passed:
            timeout = APITimeoutError(
                f"the call's deadline of {self.deadline:g}s ran out after {self.retries_taken + 1} attempt(s); "
                f"last error: {error}",
                request=attempt.request,
            )
            timeout.__cause__ = error
            error = timeout
        elif self.refusal is not None:
            error.message = f"{error.message} ({self.refusal})"
            error.args = (error.message,)
        hooks = self.config.hooks
        if hooks.listening("on_error"):
            hooks.emit(
                "on_error",
                ErrorEvent(
                    attempt.request.method,
                    redact_url(attempt.request.url),
                    error,
                    self.retries_taken,
                    call_id=self.call_id,
                ),
            )
        return error

    def _status_error(self, attempt: Attempt, response: Any) -> APIStatusError:
        status = attempt.status_code or 0
        body = decode_error_body(attempt.content or b"", attempt.response.content_type, self.config.serializers)
        shown = shown_body(body)
        message = f"Error code: {status} - {shown}" if shown else f"Error code: {status}"
        message = f"{message} ({attempt.request.method} {redact_url(attempt.request.url)})"
        return self.config.make_status_error(message, body=body, response=response)


def _sane_wait(wait: Any) -> float:
    """A policy's wait as a sleepable number: NaN, infinite or negative waits become 0."""
    try:
        seconds = float(wait)
    except (TypeError, ValueError):
        return 0.0
    return seconds if math.isfinite(seconds) and seconds > 0 else 0.0


def _built_retry_count(request: PreparedRequest) -> int:
    """The retry count a request was built with: 0, or what the call's own headers set (a stream's reconnect)."""
    sent = request.headers.get(RETRY_COUNT_HEADER)
    if sent == "0" or sent is None:
        return 0
    return int(sent) if sent.isascii() and sent.isdigit() else 0


def _clip(timeout: Timeout, remaining: float) -> Timeout:
    def cut(value: Optional[float]) -> float:
        return remaining if value is None else min(value, remaining)

    return Timeout(
        cut(timeout.timeout),
        connect=cut(timeout.connect),
        read=cut(timeout.read),
        write=cut(timeout.write),
        pool=cut(timeout.pool),
        total=cut(timeout.total),
    )
