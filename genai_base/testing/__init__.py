"""Test helpers for genai_base: an embedded fake JSON API server.

Example::

    from genai_base.testing import FakeAPIServer, Reply

    with FakeAPIServer() as server:
        server.script("/flaky", [Reply(status=503), Reply(json={"ok": True})])
        ...  # point a client at server.url
"""

from ._models import RecordedRequest, Reply
from ._server import FakeAPIServer

__all__ = ["FakeAPIServer", "RecordedRequest", "Reply"]
