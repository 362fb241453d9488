"""An OpenTelemetry hook for genai_base (entry point ``genai_base.hooks: otel``): a span per call."""

from __future__ import annotations

import asyncio
import threading
from collections import OrderedDict
from typing import Any, Hashable, Optional
from urllib.parse import urlsplit, urlunsplit

from opentelemetry import propagate, trace
from opentelemetry.trace import Span, SpanKind, Status, StatusCode

from genai_base import EndEvent, ErrorEvent, PolicyContext, PreparedRequest, RequestEvent, ResponseEvent, RetryEvent

__all__ = ["OpenTelemetryHook", "TraceparentPolicy", "default_hook", "traceparent_policy", "genai_base_plugin_api"]
__version__ = "0.1.0"

genai_base_plugin_api = 1

# Calls whose end was never seen (e.g. a raw 3xx answer) are ended once this many are open.
MAX_OPEN_SPANS = 1024


def _context_key() -> Hashable:
    # A task (async) or a thread (sync) makes one call at a time.
    try:
        task = asyncio.current_task()
    except RuntimeError:
        task = None
    if task is not None:
        return ("task", id(task))
    return ("thread", threading.get_ident())


def _url_attributes(url: str) -> dict[str, Any]:
    parts = urlsplit(url)
    attributes: dict[str, Any] = {"url.scheme": parts.scheme}
    if parts.hostname:
        attributes["server.address"] = parts.hostname
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    if port:
        attributes["server.port"] = port
    netloc = parts.netloc.rpartition("@")[2]  # never user info
    attributes["url.full"] = urlunsplit(parts._replace(netloc=netloc, fragment=""))
    return attributes


class OpenTelemetryHook:
    """A client span per call and an event per attempt, on ``tracer_provider`` (default: the global one)."""

    genai_base_plugin_api = 1

    def __init__(self, tracer_provider: Optional[Any] = None, *, tracer: Optional[Any] = None) -> None:
        self._tracer = tracer or trace.get_tracer("genai_base_otel", __version__, tracer_provider=tracer_provider)
        self._spans: OrderedDict[Hashable, Span] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def _key(event: Any) -> Hashable:
        call_id = getattr(event, "call_id", None)
        return ("call", call_id) if call_id is not None else _context_key()

    def _span(self, event: Any) -> Optional[Span]:
        with self._lock:
            return self._spans.get(self._key(event))

    def _finish(self, event: Any) -> Optional[Span]:
        with self._lock:
            return self._spans.pop(self._key(event), None)

    def span_for_call(self, call_id: str, method: str, url: str) -> Span:
        """The call's span, started if it is not yet (the traceparent policy asks before the first attempt)."""
        key = ("call", call_id)
        with self._lock:
            span = self._spans.get(key)
            if span is None:
                attributes = {"http.request.method": method, **_url_attributes(url)}
                span = self._tracer.start_span(method, kind=SpanKind.CLIENT, attributes=attributes)
                self._spans[key] = span
            return span

    def on_request(self, event: RequestEvent) -> None:
        key = self._key(event)
        with self._lock:
            span = self._spans.get(key)
            stale = None
            if span is not None and event.attempt == 0 and event.call_id is None:
                stale, span = span, None  # the same task or thread began a new call
                del self._spans[key]
            overflow = []
            if span is None:
                attributes = {"http.request.method": event.method, **_url_attributes(event.url)}
                span = self._tracer.start_span(event.method, kind=SpanKind.CLIENT, attributes=attributes)
                self._spans[key] = span
                while len(self._spans) > MAX_OPEN_SPANS:
                    overflow.append(self._spans.popitem(last=False)[1])
        for old in (stale, *overflow):
            if old is not None:
                old.end()
        if event.attempt > 0:
            span.set_attribute("http.request.resend_count", event.attempt)
        span.add_event("http.attempt", {"http.request.resend_count": event.attempt})

    def on_response(self, event: ResponseEvent) -> None:
        span = self._span(event)
        if span is None:
            return
        span.set_attribute("http.response.status_code", event.status_code)
        span.add_event(
            "http.response",
            {
                "http.response.status_code": event.status_code,
                "http.request.resend_count": event.attempt,
                "elapsed_ms": event.elapsed.total_seconds() * 1000.0,
            },
        )

    def on_end(self, event: EndEvent) -> None:
        """The call is over: its span ends, with an error status if the call failed (a 2xx that failed
        validation included)."""
        span = self._finish(event)
        if span is None:
            return
        if event.exception is not None:
            status = getattr(event.exception, "status_code", None)
            error_type = str(status) if isinstance(status, int) else type(event.exception).__name__
            span.set_attribute("error.type", error_type)
            span.set_status(Status(StatusCode.ERROR, type(event.exception).__name__))
        span.end()

    def on_retry(self, event: RetryEvent) -> None:
        span = self._span(event)
        if span is None:
            return
        attributes: dict[str, Any] = {
            "http.request.resend_count": event.attempt,
            "reason": event.reason,
            "wait_s": event.wait,
        }
        if event.budget is not None:
            attributes["retry_budget"] = event.budget
        span.add_event("http.retry", attributes)

    def on_error(self, event: ErrorEvent) -> None:
        span = self._span(event)  # the end event, right after, ends it
        if span is not None:
            span.record_exception(event.exception)

    def __repr__(self) -> str:
        return "OpenTelemetryHook()"


class TraceparentPolicy:
    """A policy (``genai_base.policies: traceparent``) that sends each attempt with the W3C ``traceparent``
    (and ``tracestate``) of its call's span, so the server's spans join the client's trace."""

    genai_base_plugin_api = 1

    def __init__(self, hook: Optional[OpenTelemetryHook] = None) -> None:
        self.hook = hook or default_hook()

    def on_request(self, request: PreparedRequest, context: PolicyContext) -> None:
        """Put the call's trace context in the attempt's headers."""
        span = self.hook.span_for_call(context.call_id, request.method, request.url)
        carrier: dict[str, str] = {}
        propagate.inject(carrier, context=trace.set_span_in_context(span))
        for name, value in carrier.items():
            request.headers[name] = value

    def __repr__(self) -> str:
        return "TraceparentPolicy()"


_DEFAULT: Optional[OpenTelemetryHook] = None
_DEFAULT_LOCK = threading.Lock()


def default_hook() -> OpenTelemetryHook:
    """The hook the ``otel`` entry point gives: one per process, shared with the ``traceparent`` policy."""
    global _DEFAULT
    with _DEFAULT_LOCK:
        if _DEFAULT is None:
            _DEFAULT = OpenTelemetryHook()
        return _DEFAULT


def traceparent_policy() -> TraceparentPolicy:
    """The policy the ``traceparent`` entry point gives (on the shared default hook)."""
    return TraceparentPolicy(default_hook())


default_hook.genai_base_plugin_api = 1  # type: ignore[attr-defined]
traceparent_policy.genai_base_plugin_api = 1  # type: ignore[attr-defined]
