"""Policies: components that change each attempt's request and see its response (azure-core's SansIOHTTPPolicy).

Hooks observe; policies modify. A policy implements either or both of
``on_request(request, context)`` (change the attempt's headers or URL in
place, or return a replacement request) and ``on_response(response,
context)``. They run in the order of the ``policies`` setting, in the call
flow, so one policy runs unchanged on both shells.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional, Protocol, Sequence

from ._options import FinalRequestOptions
from ._request import PreparedRequest

__all__ = ["Policy", "PolicyContext", "PolicyRunner"]


@dataclass
class PolicyContext:
    """What a policy knows of the call an attempt belongs to; ``data`` keeps its state across attempts."""

    #: The id every hook record of the call carries.
    call_id: str
    #: The call's options.
    options: FinalRequestOptions
    #: Retries taken before this attempt (0 on the first).
    attempt: int = 0
    #: The policy's own state for this call, kept across its attempts.
    data: dict[str, Any] = field(default_factory=dict)


class Policy(Protocol):
    """Changes each attempt's request (``on_request``) and sees its response (``on_response``); both optional."""

    def on_request(self, request: PreparedRequest, context: PolicyContext) -> Optional[PreparedRequest]:
        """Change ``request`` in place (return ``None``) or return the request to send instead."""
        ...

    def on_response(self, response: Any, context: PolicyContext) -> None:
        """See the attempt's response head (status, headers)."""
        ...


class PolicyRunner:
    """Runs a client's policies, in order, for each attempt (resolved once per client)."""

    __slots__ = ("_on_request", "_on_response", "policies")

    def __init__(self, policies: Sequence[Any]) -> None:
        self.policies = tuple(policies)
        self._on_request = [p.on_request for p in self.policies if callable(getattr(p, "on_request", None))]
        self._on_response = [p.on_response for p in self.policies if callable(getattr(p, "on_response", None))]

    def request(self, request: PreparedRequest, context: PolicyContext) -> PreparedRequest:
        """``request`` after every policy's ``on_request``."""
        for on_request in self._on_request:
            changed = on_request(request, context)
            if changed is not None:
                if not isinstance(changed, PreparedRequest):
                    raise TypeError(
                        f"policy {type(getattr(on_request, '__self__', on_request)).__name__}.on_request returned "
                        f"a {type(changed).__name__}; return None (changed in place) or a PreparedRequest"
                    )
                request = changed
        return request

    def response(self, response: Any, context: PolicyContext) -> None:
        """Show ``response`` to every policy's ``on_response``."""
        for on_response in self._on_response:
            on_response(response, context)
