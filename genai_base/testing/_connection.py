"""Dropping a fake-server connection at once, with a TCP reset or a plain close."""

from __future__ import annotations

import socket
import struct

from aiohttp import web

__all__ = ["abort_connection"]


def abort_connection(request: web.BaseRequest, *, hard: bool = True) -> None:
    """Drop the request's TCP connection at once.

    ``hard=True`` sends a TCP reset (SO_LINGER 0); ``hard=False`` closes it with a
    plain FIN after flushing what was already written.
    """
    transport = request.transport
    if transport is None or transport.is_closing():
        return
    if not hard:
        transport.close()
        return
    sock = transport.get_extra_info("socket")
    if sock is not None:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
    transport.abort()
