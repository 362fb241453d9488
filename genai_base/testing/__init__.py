"""Test helpers for genai_base: an embedded fake JSON API server.

Example::

    from genai_base.testing import FakeAPIServer, Reply

    with FakeAPIServer() as server:
        server.script("/flaky", [Reply(status=503), Reply(json={"ok": True})])
        ...  # point a client at server.url

:class:`RawSocketServer` sends scripted raw bytes, for misbehaviour the
HTTP server cannot produce (bad framing, informational responses, trickles).
"""

from ._models import RecordedRequest, Reply
from ._raw import (
    Close,
    Delay,
    Hold,
    RawConnection,
    RawRequest,
    RawSocketServer,
    Read,
    ReadHead,
    ReadRequest,
    Reset,
    Step,
    Trickle,
    Tunnel,
)
from ._server import FakeAPIServer

__all__ = [
    "Close",
    "Delay",
    "FakeAPIServer",
    "Hold",
    "RawConnection",
    "RawRequest",
    "RawSocketServer",
    "Read",
    "ReadHead",
    "ReadRequest",
    "RecordedRequest",
    "Reply",
    "Reset",
    "Step",
    "Trickle",
    "Tunnel",
]
