"""One call's decisions, shared by both shells: attempts, retries, redirects, errors.

A shell makes a :class:`Call`, then runs its one-attempt function under
:func:`retrying` (``backoff`` drives the loop, sleeping with ``time.sleep``
or ``asyncio.sleep``). The attempt function does the I/O and reports an
:class:`Attempt`; every decision about it is made here.
"""

from __future__ import annotations

import inspect
import json
import math
import time
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Callable, Mapping, Optional, TypeVar, cast
from urllib.parse import parse_qsl, urlencode, urljoin

import backoff

from ._auth import redact_error
from ._errors import (
    APIError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    PoolTimeoutError,
    RetryBudgetExhaustedError,
    TooManyRedirectsError,
)
from ._hooks import ErrorEvent, HookRunner, RequestEvent, ResponseEvent, RetryEvent, new_call_id
from ._options import FinalRequestOptions, Timeout, redact_headers
from ._parse import decode_text, is_raw_response_type, parse_body, raw_response_inner
from ._request import RETRY_COUNT_HEADER, PreparedRequest, origin_of, redact_url
from ._retry import RetryOutcome
from ._types import NotGiven

if TYPE_CHECKING:
    from ._base import BaseClient
    from ._response import BaseAPIResponse

__all__ = ["Call", "Attempt", "retrying", "REDIRECT_STATUSES"]

F = TypeVar("F", bound=Callable[..., Any])
R = TypeVar("R", bound="BaseAPIResponse[Any]")

#: The statuses :meth:`Call.redirect` may follow; a shell asks it about these only.
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_ALWAYS_SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie"})
_TIMEOUTS = (APITimeoutError, PoolTimeoutError)


@dataclass(slots=True)
class Attempt:
    """What one attempt ended with, as the shell saw it."""

    call: "Call"
    request: PreparedRequest
    raw: Any = None
    status_code: Optional[int] = None
    headers: Optional[Mapping[str, str]] = None
    content: Optional[bytes] = None
    error: Optional[APIError] = None
    elapsed: timedelta = timedelta(0)
    #: True when the attempt got a response the call accepts.
    ok: bool = False


class Call:
    """The state and the decisions of one logical call (all its attempts)."""

    __slots__ = (
        "_call_id",
        "_hooks",
        "_kept",
        "_signs",
        "_wait",
        "cast_to",
        "client",
        "deadline",
        "deadline_passed",
        "follow_redirects",
        "max_retries",
        "options",
        "raw_3xx",
        "raw_type",
        "redirects",
        "refusal",
        "request",
        "retries_taken",
        "signing",
        "started",
        "timeout",
    )

    def __init__(self, client: "BaseClient", options: FinalRequestOptions, cast_to: Any = object) -> None:
        self.client = client
        self.options = options
        self.max_retries = options.max_retries if isinstance(options.max_retries, int) else client.max_retries
        timeout = client.timeout if isinstance(options.timeout, NotGiven) else options.timeout
        self.timeout = timeout if type(timeout) is Timeout else Timeout.coerce(timeout)  # type: ignore[arg-type]
        deadline = client.deadline if isinstance(options.deadline, NotGiven) else options.deadline
        self.deadline: Optional[float] = deadline  # type: ignore[assignment]
        self.started = 0.0 if deadline is None else time.monotonic()  # only the deadline needs it
        self.request = client._builder.build(options, self.timeout)
        self.request.headers[RETRY_COUNT_HEADER] = "0"  # the first attempt sends this request as it is
        self.follow_redirects = True if options.follow_redirects is None else options.follow_redirects
        self.cast_to = cast_to
        self.raw_type = is_raw_response_type(cast_to)
        self.raw_3xx = self.raw_type  # a raw response is returned for a 3xx that was not followed
        self.retries_taken = 0
        self.redirects = 0
        # Auth signs every hop until a redirect leaves the original origin (and never without auth).
        self._signs = not client._plain_auth
        self.signing = self._signs
        self.refusal: Optional[str] = None  # why a retry the policy wanted was not made
        self.deadline_passed = False
        self._wait = 0.0
        self._kept: Optional[Attempt] = None
        # Gates are asked as each event is about to happen (a call that succeeds at once
        # never asks about retries or errors); the call id is made for the first record.
        self._hooks: HookRunner = client._hooks
        self._call_id: Optional[str] = None

    @property
    def call_id(self) -> str:
        """The id every hook record of this call carries."""
        if self._call_id is None:
            self._call_id = new_call_id()
        return self._call_id

    # -- attempts --------------------------------------------------------

    def next_request(self) -> PreparedRequest:
        """The request for the next attempt: retry count header, timeouts cut to the deadline."""
        request = self.request
        if self.retries_taken or self.deadline is not None:  # a copy: the call's own request stays as built
            request = request.with_headers(**{RETRY_COUNT_HEADER: str(self.retries_taken)})
        self.redirects, self.signing = 0, self._signs  # each attempt starts at the original origin
        if self.deadline is not None:
            remaining = max(self.deadline - (time.monotonic() - self.started), 0.001)
            request.timeout = _clip(request.timeout, remaining)
        hooks = self._hooks
        if hooks.hooks and hooks.listening("on_request"):
            hooks.emit(
                "on_request",
                RequestEvent(
                    request.method,
                    redact_url(request.url),
                    redact_headers(request.headers),
                    self.retries_taken,
                    call_id=self.call_id,
                ),
            )
        return request

    def accepts(self, status_code: int) -> bool:
        """True for a status the call returns rather than raises."""
        return 200 <= status_code < 300 or (self.raw_3xx and 300 <= status_code < 400)

    def received(
        self,
        request: PreparedRequest,
        raw: Any,
        status: int,
        headers: Mapping[str, str],
        content: Optional[bytes],
        started: float,
    ) -> Attempt:
        """An attempt that got a response (the body read if it is an error)."""
        elapsed = timedelta(seconds=time.monotonic() - started)
        hooks = self._hooks
        if hooks.hooks and hooks.listening("on_response"):
            hooks.emit(
                "on_response",
                ResponseEvent(
                    request.method,
                    redact_url(request.url),
                    status,
                    headers,
                    elapsed,
                    self.retries_taken,
                    call_id=self.call_id,
                ),
            )
        if 200 <= status < 300 or (self.raw_3xx and 300 <= status < 400):
            accepted = Attempt(self, request, raw, status, headers, content, None, elapsed, True)
            on_success = self.client._policy_on_success
            if on_success is not None:  # a budget earns back what retries cost
                on_success(self.outcome(accepted))
            return accepted
        return self._kept_if_first(Attempt(self, request, raw, status, headers, content, None, elapsed))

    def failed(self, request: PreparedRequest, error: APIError, started: float) -> Attempt:
        """An attempt that got no (complete) response."""
        if error.request is None:
            error.request = request
        # Transport messages quote the signed URL: keep query-string credentials out.
        redact_error(error, self.client._auth)
        elapsed = timedelta(seconds=time.monotonic() - started)
        return self._kept_if_first(Attempt(self, request, error=error, elapsed=elapsed))

    # -- retries (run by backoff) ----------------------------------------

    def _kept_if_first(self, failed: Attempt) -> Attempt:
        """Keep a failed first attempt for backoff's loop, which judges it first (see :func:`retrying`).

        The shell makes the first attempt itself: most calls succeed at once and
        skip backoff's bookkeeping (a wait generator, timestamps, a details dict).
        A failed one is judged, waited on and retried by backoff as usual.
        """
        if self.retries_taken == 0 and self._kept is None:
            self._kept = failed
        return failed

    def take_kept(self) -> Optional[Attempt]:
        """The failed first attempt, once, if it was kept for backoff's loop."""
        kept, self._kept = self._kept, None
        return kept

    def outcome(self, attempt: Attempt) -> RetryOutcome:
        """The frozen record a retry policy judges."""
        return RetryOutcome(
            retries_taken=self.retries_taken,
            max_retries=self.max_retries,
            options=self.options,
            status_code=attempt.status_code,
            headers=attempt.headers,
            exception=attempt.error,
        )

    def should_retry(self, attempt: Attempt) -> bool:
        """Decide once per attempt whether to retry; the wait is kept for :meth:`wait`.

        In order: an accepted attempt ends the call (the policy's
        ``on_success`` heard of it in :meth:`received`); a timeout once the deadline has passed
        ends it; so do ``max_retries`` and the policy's verdict (a budget
        refusal is remembered for the error message); finally a retry whose
        wait would outlast the deadline is not made.
        """
        policy = self.client._retry_policy
        if attempt.ok:
            return False  # the policy heard of the success when it came (see received)
        if self.deadline is not None and isinstance(attempt.error, _TIMEOUTS) and self._past_deadline(0.0):
            self.deadline_passed = True  # the attempt's timeouts were cut to the deadline
            return False
        if self.retries_taken >= self.max_retries:
            return False
        outcome = self.outcome(attempt)
        try:
            if not policy.should_retry(outcome):
                return False
        except RetryBudgetExhaustedError as exc:
            self.refusal = exc.message
            return False
        wait = _sane_wait(policy.wait(outcome))
        if self.deadline is not None and self._past_deadline(wait):
            self.deadline_passed = True
            return False
        self._wait = wait
        return True

    def _past_deadline(self, wait: float) -> bool:
        assert self.deadline is not None
        return (time.monotonic() - self.started) + wait >= self.deadline

    def wait(self, attempt: Attempt) -> float:
        """Seconds to sleep, as decided by :meth:`should_retry`."""
        return self._wait

    def before_retry(self, attempt: Attempt, wait: float) -> None:
        """Count the retry and tell the hooks, just before the shell sleeps."""
        if self._hooks.listening("on_retry"):
            budget = getattr(self.client._retry_policy, "available_tokens", None)
            reason = str(attempt.error) if attempt.error else f"status {attempt.status_code}"
            self._hooks.emit(
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

    def response(self, response_cls: type[R], done: Attempt) -> R:
        """The shell's response wrapper for ``done`` (its body already read unless streamed)."""
        client = self.client
        return response_cls(
            raw=done.raw,
            status_code=done.status_code,  # type: ignore[arg-type]  # set: the attempt got a response
            headers=done.headers,  # type: ignore[arg-type]
            http_request=done.request,
            cast_to=raw_response_inner(self.cast_to) if self.raw_type else self.cast_to,
            serializers=client._serializers,
            strict=client._strict_response_validation,
            retries_taken=self.retries_taken,
            elapsed=done.elapsed,
            content=done.content,
        )

    # -- the end -----------------------------------------------------------

    def conclude(self, attempt: Attempt, response_cls: type[R], stream: bool) -> tuple[Any, bool]:
        """What the call returns for its last attempt, and whether the shell wraps it in a stream.

        A plain call gets its loaded body; a raw call its ``response_cls``
        response; a streamed call the response to wrap (``True``). A failed
        call raises its final error (see :meth:`finish`).
        """
        if attempt.ok and not stream and not self.raw_type:
            return self.accepted_body(attempt, response_cls), False
        return self.finish(attempt, response_cls), stream and not self.raw_type

    def accepted_body(self, attempt: Attempt, response_cls: type[R]) -> Any:
        """The accepted attempt's (read) body loaded as ``cast_to``.

        No response wrapper is made for it (nobody would see one); an error
        still carries a ``response_cls`` response, as one from
        :meth:`BaseAPIResponse.parse` would.
        """
        client = self.client
        try:
            return parse_body(
                self.cast_to,
                attempt.content,  # type: ignore[arg-type]  # read: the call is not streamed
                content_type=attempt.headers.get("content-type"),  # type: ignore[union-attr]
                serializers=client._serializers,
                strict=client._strict_response_validation,
            )
        except APIResponseValidationError as exc:
            response = self.response(response_cls, attempt)
            exc.response, exc.status_code, exc.request = response, response.status_code, attempt.request
            raise

    def finish(self, attempt: Attempt, response_cls: type[R]) -> R:
        """The accepted attempt's response (a ``response_cls``), or the final error raised."""
        if attempt.ok:
            return self.response(response_cls, attempt)
        if attempt.error is not None:
            error: APIError = attempt.error
        else:
            error = self.status_error(attempt, self.response(response_cls, attempt))
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
        if self._hooks.listening("on_error"):
            self._hooks.emit(
                "on_error",
                ErrorEvent(
                    attempt.request.method,
                    redact_url(attempt.request.url),
                    error,
                    self.retries_taken,
                    call_id=self.call_id,
                ),
            )
        raise error

    def status_error(self, attempt: Attempt, response: Any) -> APIStatusError:
        """The status error for a non-accepted response, built by the client's factory."""
        status = attempt.status_code or 0
        text = decode_text(attempt.content or b"", (attempt.headers or {}).get("content-type")).strip()
        body: object = text
        try:
            body = json.loads(text)
            message = f"Error code: {status} - {body}"
        except ValueError:
            message = f"Error code: {status} - {text}" if text else f"Error code: {status}"
        message = f"{message} ({attempt.request.method} {redact_url(attempt.request.url)})"
        return self.client._make_status_error(message, body=body, response=response)

    # -- redirects ---------------------------------------------------------

    def redirect(self, request: PreparedRequest, status: int, headers: Mapping[str, str]) -> Optional[PreparedRequest]:
        """The next hop for a 3xx, or ``None`` to stop here; raises past ``max_redirects``."""
        if status not in REDIRECT_STATUSES or not self.follow_redirects:
            return None
        location = headers.get("location")
        if not location:
            return None
        self.redirects += 1
        if self.redirects > self.client.max_redirects:
            raise TooManyRedirectsError(
                f"more than {self.client.max_redirects} redirects (last to {redact_url(location)})", request=request
            )
        url = urljoin(request.url, location)
        method, content, form, files = request.method, request.content, request.form, request.files
        new_headers = dict(request.headers)
        if (status == 303 and method != "HEAD") or (status in (301, 302) and method == "POST"):
            method, content, form, files = "GET", None, None, None
            for name in list(new_headers):
                if name.lower() in ("content-type", "content-length", "transfer-encoding"):
                    del new_headers[name]
        if origin_of(url) != origin_of(request.url):
            self.signing = False
            url, new_headers = self._strip_credentials(url, new_headers)
        return replace(request, method=method, url=url, headers=new_headers, content=content, form=form, files=files)

    def _strip_credentials(self, url: str, headers: dict[str, str]) -> tuple[str, dict[str, str]]:
        auth = self.client._auth
        secret_headers = _ALWAYS_SECRET_HEADERS | {h.lower() for h in getattr(auth, "sensitive_headers", ())}
        kept = {k: v for k, v in headers.items() if k.lower() not in secret_headers}
        secret_params = set(getattr(auth, "sensitive_query_params", ()))
        if secret_params and "?" in url:
            base, _, query = url.partition("?")
            pairs = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k not in secret_params]
            url = f"{base}?{urlencode(pairs)}" if pairs else base
        return url, kept


def _sane_wait(wait: Any) -> float:
    """A policy's wait as a sleepable number: NaN, infinite or negative waits become 0."""
    try:
        seconds = float(wait)
    except (TypeError, ValueError):
        return 0.0
    return seconds if math.isfinite(seconds) and seconds > 0 else 0.0


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


def _should_retry(attempt: Attempt) -> bool:
    return attempt.call.should_retry(attempt)


def _wait(attempt: Attempt) -> float:
    return attempt.call.wait(attempt)


def _before_retry(details: Any) -> None:
    attempt: Attempt = details["value"]
    attempt.call.before_retry(attempt, details["wait"])


def retrying(attempt_fn: F) -> F:
    """``attempt_fn(call, ...) -> Attempt`` wrapped in backoff's retry loop (sync or async).

    The loop's first try hands back the failed first attempt the call kept
    (the one the shell already made), so backoff judges it, sleeps and makes
    every later attempt.
    """
    if inspect.iscoroutinefunction(attempt_fn):

        async def kept_or_new(call: Call, *args: Any) -> Attempt:
            return call.take_kept() or await attempt_fn(call, *args)

    else:

        def kept_or_new(call: Call, *args: Any) -> Attempt:  # type: ignore[misc]
            return call.take_kept() or attempt_fn(call, *args)

    looped = backoff.on_predicate(
        backoff.runtime,
        predicate=_should_retry,
        value=_wait,
        jitter=None,
        max_tries=None,
        on_backoff=_before_retry,
        logger=None,
    )(kept_or_new)
    return cast(F, looped)
