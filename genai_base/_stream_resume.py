"""Resuming an event stream after a break, with ``Last-Event-ID``: the decisions, no I/O.

When a stream's body breaks (the connection is cut, or the read timeout
passes between two chunks) after the server sent ``id:`` fields, the stream
sends its request again through the client with ``Last-Event-ID`` set to the
ID of the last event it handled, after waiting the server's last ``retry:``
value (else the retry policy's backoff), and reads on from the new body. This
module decides whether a break is resumed, how long to wait and what to send;
the streams in :mod:`genai_base._streaming` sleep and send.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Optional

from ._errors import APIError, StreamInterruptedError
from ._hooks import RetryEvent
from ._options import FinalRequestOptions
from ._redact import redact_url
from ._request import RETRY_COUNT_HEADER
from ._retry import RetryOutcome
from ._types import NotGiven

if TYPE_CHECKING:
    from ._base import BaseClient

__all__ = ["LAST_EVENT_ID", "RESUME_REASON", "Resumption", "is_resumable_method"]

LAST_EVENT_ID = "Last-Event-ID"
#: The ``reason`` of the retry hook event every reconnect emits.
RESUME_REASON = "stream-resume"
_REPLACED = frozenset({LAST_EVENT_ID.lower(), RETRY_COUNT_HEADER})


def is_resumable_method(options: FinalRequestOptions) -> bool:
    """GET streams resume unless ``resumable=False``; other methods only with ``resumable=True``."""
    if options.resumable is not None:
        return bool(options.resumable)
    return options.method.lower() == "get"


class Resumption:
    """How often one stream was resumed, and the decisions for its next break."""

    __slots__ = ("_client", "_options", "limit", "reconnects", "retry_ms")

    def __init__(self, client: "BaseClient", options: Optional[FinalRequestOptions]) -> None:
        self._client = client
        self._options = options
        #: ``stream_reconnects``: the most reconnects one stream makes (0: never).
        self.limit: int = client._settings["stream_reconnects"]
        self.reconnects = 0
        #: The server's last ``retry:`` value (milliseconds), kept across connections.
        self.retry_ms: Optional[int] = None

    def plan(
        self, error: APIError, response: Any, last_id: Optional[str], reconnection_time: Optional[int]
    ) -> tuple[float, FinalRequestOptions]:
        """The wait and the options of the reconnect after ``error``; raises what to raise instead.

        ``response`` is the response that broke, ``last_id`` the ID of the
        last event handled, ``reconnection_time`` the decoder's last
        ``retry:`` value on that connection.
        """
        if reconnection_time is not None:
            self.retry_ms = reconnection_time
        options = self._options
        if options is None or not last_id:
            raise error  # the server sent no ID to resume from: nothing to do but report the break
        why_not = self._why_not(options, response, last_id)
        if why_not is not None:
            _add_note(error, f"not resumed: {why_not}")
            raise error
        if self.reconnects >= self.limit:
            raise StreamInterruptedError(
                f"the event stream broke again after {self.reconnects} reconnect(s) "
                f"(stream_reconnects={self.limit}); last break: {error.message}",
                request=error.request,
            ) from error
        self.reconnects += 1
        wait = self._wait(error, response, options)
        retries = int(response.retries_taken)
        self._emit_retry(response, retries, wait)
        return wait, self._resume_options(options, response, last_id, retries + 1)

    def _why_not(self, options: FinalRequestOptions, response: Any, last_id: str) -> Optional[str]:
        if self.limit == 0:
            return "stream_reconnects is 0"
        if not is_resumable_method(options):
            if options.resumable is False:
                return "the call was made with resumable=False"
            return (
                f"a {options.method.upper()} stream resumes only with make_request_options(resumable=True); "
                f"GET streams do by default"
            )
        if not (last_id.isascii() and last_id.isprintable()):
            return "the last event ID is not printable ASCII, so it cannot be sent as Last-Event-ID"
        request = getattr(response, "http_request", None)
        if request is not None and not request.rewind():
            return request.not_rewindable_reason()  # type: ignore[no-any-return]
        return None

    def _wait(self, error: APIError, response: Any, options: FinalRequestOptions) -> float:
        client = self._client
        ceiling = float(client._settings["retry_after_ceiling"])
        if self.retry_ms is not None and self.retry_ms / 1000 <= ceiling:
            return self.retry_ms / 1000  # the server's wish, within the same ceiling as retry-after
        max_retries = options.max_retries if isinstance(options.max_retries, int) else client.max_retries
        outcome = RetryOutcome(
            retries_taken=int(response.retries_taken), max_retries=max_retries, options=options, exception=error
        )
        try:
            seconds = float(client._retry_policy.wait(outcome))
        except (TypeError, ValueError):
            return 0.0
        return seconds if math.isfinite(seconds) and seconds > 0 else 0.0

    def _emit_retry(self, response: Any, retries: int, wait: float) -> None:
        hooks = self._client._hooks
        if not hooks.listening("on_retry"):
            return
        request = response.http_request
        budget = getattr(self._client._retry_policy, "available_tokens", None)
        # The call whose response broke: the engine names it on a streamed response when hooks listen.
        call_id = getattr(response, "_call_id", None)
        hooks.emit(
            "on_retry",
            RetryEvent(request.method, redact_url(request.url), retries, RESUME_REASON, wait, budget, call_id=call_id),
        )

    def _resume_options(
        self, options: FinalRequestOptions, response: Any, last_id: str, retries: int
    ) -> FinalRequestOptions:
        """The same request again, with ``Last-Event-ID``, the retry count, and the same idempotency key."""
        own = {} if isinstance(options.headers, NotGiven) else options.headers
        headers: dict[str, Any] = {k: v for k, v in own.items() if k.lower() not in _REPLACED}
        headers[LAST_EVENT_ID] = last_id
        headers[RETRY_COUNT_HEADER] = str(retries)
        changes: dict[str, Any] = {"headers": headers}
        key_header = self._client._idempotency_header
        if key_header:
            sent = response.http_request.headers.get(key_header)
            if sent:
                changes["idempotency_key"] = sent
        return options.copy(**changes)

    def adopt(self, broken: Any, resumed: Any) -> None:
        """Count the reconnect (and any retries it took) in the new response's ``retries_taken``."""
        resumed.retries_taken = int(broken.retries_taken) + 1 + int(resumed.retries_taken)


def _add_note(error: APIError, note: str) -> None:
    error.message = f"{error.message} ({note})"
    error.args = (error.message,)
