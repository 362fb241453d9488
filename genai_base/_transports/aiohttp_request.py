"""The request class of the transport's own aiohttp sessions: it takes over what the transport prepared.

aiohttp copies a request's headers into new multidicts one at a time, in
Python, twice (merged with the session's defaults, then into the request);
on a small request that is a large share of the work. The request class
takes the transport's in one copy: a template's headers are prebuilt once,
and a request's own are made into one multidict at once. It also starts the
request's read wait as the request is written, once the connection is ready
(a pooled one at once, a new one once connected, through TLS and any proxy),
as aiohttp's own ``sock_read`` starts there.

The transport hands both over through the task's context
(:data:`OUTGOING`), since aiohttp has no per-request slot for them. The
request class overrides two methods aiohttp does not document,
``ClientRequest.update_headers`` and ``send``; :func:`request_class_for`
probes that they still work as relied on, and where they do not, the
session is a plain one: per-request headers and aiohttp's ``sock_read``.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
import types
import weakref
from typing import Any, Optional, Union, cast

import aiohttp
import aiohttp.connector
from multidict import CIMultiDict, CIMultiDictProxy
from yarl import URL

from .aiohttp_reads import ReadWait, ReadWatch

__all__ = ["OUTGOING", "Outgoing", "hands_over", "request_class_for", "transport_session"]

#: A request's headers, made in one go (a template's, or a request's own).
Prebuilt = Union[CIMultiDict[str], CIMultiDictProxy[str]]


#: What the transport prepared for the request it is about to send from this task: its headers,
#: prebuilt (``None``: aiohttp merges the ``headers=`` it was given), the read wait to start once the
#: request is written (``None``: aiohttp's ``sock_read``), and the watch that wait belongs to.
Outgoing = tuple[Optional[Prebuilt], Optional[ReadWait], Optional[ReadWatch]]

# Set just before each request (a tuple: made in C) and set back to None once it went out or failed, so
# a later request of the task takes nothing. A task aiohttp makes meanwhile inherits it; it builds no request.
OUTGOING: "contextvars.ContextVar[Optional[Outgoing]]" = contextvars.ContextVar("genai_base_outgoing")


class _TakesHandOver(aiohttp.ClientRequest):
    """A ``ClientRequest`` that takes the headers and the read wait the transport handed over."""

    def update_headers(self, headers: Any) -> None:
        outgoing = OUTGOING.get(None)
        prebuilt = None if outgoing is None else outgoing[0]
        if prebuilt is None:
            super().update_headers(headers)
            return
        if headers or "Host" in prebuilt:
            # The session's own default headers (the request's win), or a Host of the request's own:
            # aiohttp's way, one at a time.
            merged = CIMultiDict(headers or ())
            for name in set(prebuilt.keys()):
                merged.popall(name, None)
            merged.extend(prebuilt)
            super().update_headers(merged)
            return
        made: CIMultiDict[str] = CIMultiDict(Host=self.url.host_port_subcomponent or "")
        made.extend(prebuilt)
        self.headers = made

    # Not a coroutine of its own: it hands out aiohttp's, so no extra frame is held while the request
    # is in flight.
    def send(self, conn: aiohttp.connector.Connection) -> "types.CoroutineType[Any, Any, aiohttp.ClientResponse]":
        outgoing = OUTGOING.get(None)
        if outgoing is not None:
            _, wait, watch = outgoing
            if wait is not None and watch is not None and not wait.started:
                watch.arm(wait)  # connected: the read phase starts
        return cast("types.CoroutineType[Any, Any, aiohttp.ClientResponse]", super().send(conn))


_PROBE_HEADER = "X-Genai-Probe"


@functools.cache
def request_class_for(base: type[aiohttp.ClientRequest]) -> Optional[type[aiohttp.ClientRequest]]:
    """The request class that takes the transport's hand-over, if ``base`` works as it relies on.

    The probe (once per class): ``base`` has aiohttp's
    own ``update_headers`` and ``send`` (the hand-over would skip overrides of
    them), ``send`` is a coroutine function of the connection, and a request
    built in a context with headers handed over carries them, after its
    ``Host``. ``None`` where any of that fails.
    """
    plain = aiohttp.ClientRequest
    if base.update_headers is not plain.update_headers or base.send is not plain.send:
        return None
    if list(inspect.signature(plain.update_headers).parameters) != ["self", "headers"]:
        return None
    if not inspect.iscoroutinefunction(plain.send):
        return None
    if list(inspect.signature(plain.send).parameters) != ["self", "conn"]:
        return None
    taking = _TakesHandOver if base is plain else type(f"TakesHandOver{base.__name__}", (_TakesHandOver, base), {})
    prebuilt: Prebuilt = CIMultiDictProxy(CIMultiDict({_PROBE_HEADER: "1"}))

    try:
        loop, own = asyncio.get_running_loop(), None
    except RuntimeError:  # probed outside a loop: one of its own, for the request to name
        loop = own = asyncio.new_event_loop()

    def built() -> Any:
        OUTGOING.set((prebuilt, None, None))
        return taking("GET", URL("http://probe.invalid/"), loop=loop)

    try:
        request = contextvars.copy_context().run(built)
        fits = list(request.headers.items())[:2] == [("Host", "probe.invalid"), (_PROBE_HEADER, "1")]
    except Exception:  # an aiohttp that builds its requests some other way
        fits = False
    finally:
        if own is not None:
            own.close()
    return taking if fits else None


# The sessions whose requests take the hand-over (made by transport_session, never changed after).
_TAKING: "weakref.WeakSet[aiohttp.ClientSession]" = weakref.WeakSet()


def transport_session(**kwargs: Any) -> aiohttp.ClientSession:
    """An ``aiohttp.ClientSession(**kwargs)`` whose requests take the hand-over (call inside the loop).

    A ``request_class`` given is built on. Where the probe fails (or the
    session has trace configs, which see a request's headers before they are
    taken over), the session is made as asked and takes nothing: the
    transport passes its headers per request and leaves the reads to
    aiohttp's ``sock_read``.
    """
    base = kwargs.pop("request_class", aiohttp.ClientRequest)
    taking = request_class_for(base)
    if taking is None or kwargs.get("trace_configs"):
        return aiohttp.ClientSession(request_class=base, **kwargs)
    session = aiohttp.ClientSession(request_class=taking, **kwargs)
    _TAKING.add(session)
    return session


def hands_over(session: aiohttp.ClientSession) -> bool:
    """Whether ``session``'s requests take the transport's hand-over (made by :func:`transport_session`)."""
    return session in _TAKING
