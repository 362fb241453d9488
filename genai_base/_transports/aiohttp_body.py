"""Request bodies for aiohttp, sent under ``Timeout.write``, a file body left open.

aiohttp has no write timeout: a server that stops reading an upload holds
the request until it hangs up. :class:`TimedBody` writes a body a piece at
a time, each wait for the server to take more bounded by the attempt's
``Timeout.write``. aiohttp also closes a file object once it has sent it
(its ``IOBasePayload``), which would leave the caller's file unusable for a
retry or a redirect that resends it (see ``PreparedRequest.rewind``);
:class:`TimedBody` reads the file and never closes it; the caller does.
"""

from __future__ import annotations

import asyncio
import io
import os
import socket
import struct
from typing import Any, Optional

import aiohttp.payload

__all__ = ["TIMED_BODY_MIN", "TimedBody", "WriteTimeoutError"]


#: Bodies at least this big are sent through :class:`TimedBody`; smaller ones fit the socket's
#: buffers at once (aiohttp only waits for the peer past 64 KiB of unsent data). So a small body
#: needs no write timeout: no write of it ever waits for the server, and a server that never reads
#: it leaves the client waiting for the response, which ``Timeout.read`` bounds (the sync shell's
#: small sends behave the same; tests/test_limits.py checks both).
TIMED_BODY_MIN = 64 * 1024
_PIECE = 64 * 1024


class WriteTimeoutError(Exception):
    """The server took no more of the request body within ``Timeout.write`` (raised inside aiohttp)."""


def _abort(transport: Any) -> None:
    """Drop the connection at once, with a reset.

    Closing it would wait (for ever, the server not reading) to flush the
    upload buffered in it, and even a closed socket's kernel side would keep
    resending it: a reset frees both. ``transport`` was taken from the writer
    when the body began: aiohttp forgets it once it starts closing.
    """
    if transport is None:
        return
    sock = transport.get_extra_info("socket")
    if sock is not None:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
    transport.abort()


async def _within(writer: Any, piece: Any, seconds: Optional[float], transport: Any) -> None:
    try:
        if seconds is None:
            await writer.write(piece)
        else:
            await asyncio.wait_for(writer.write(piece), seconds)
    except asyncio.TimeoutError:
        _abort(transport)
        raise WriteTimeoutError(f"the server took no more of the request body within {seconds:g}s") from None
    except BaseException:  # cancelled (the call was, or its total timer ran out): the upload is over
        _abort(transport)
        raise


def _remaining_size(file: Any) -> Optional[int]:
    if isinstance(file, io.TextIOBase):  # tell() is no byte count there: send it chunked
        return None
    try:
        return max(os.fstat(file.fileno()).st_size - int(file.tell()), 0)
    except (AttributeError, OSError, ValueError, TypeError, io.UnsupportedOperation):
        pass
    try:
        here = file.tell()
        end = file.seek(0, io.SEEK_END)
        file.seek(here)
        return max(int(end) - int(here), 0)
    except (AttributeError, OSError, ValueError, TypeError):
        return None


class TimedBody(aiohttp.payload.Payload):
    """A request body written a piece at a time, each wait for the server bounded by ``write_timeout``.

    ``value`` is bytes, or a file object read (in a worker thread) from where
    it stands; the file is never closed here, so a retry can rewind it.
    aiohttp has no write timeout of its own: a server that stops reading an
    upload would hold the request until it hangs up.
    """

    def __init__(self, value: Any, write_timeout: Optional[float]) -> None:
        super().__init__(value, content_type="application/octet-stream")
        self._write_timeout = write_timeout
        if isinstance(value, (bytes, bytearray, memoryview)):
            self._size = len(value)
        else:
            self._size = _remaining_size(value)

    def decode(self, encoding: str = "utf-8", errors: str = "strict") -> str:
        """The body as text (aiohttp's payload interface; only bytes bodies have one at hand)."""
        value = self._value
        return bytes(value).decode(encoding, errors) if isinstance(value, (bytes, bytearray, memoryview)) else ""

    async def write(self, writer: Any) -> None:
        """Write the whole body."""
        await self.write_with_length(writer, None)

    async def write_with_length(self, writer: Any, content_length: Optional[int]) -> None:
        """Write the body (at most ``content_length`` bytes), each piece within the write timeout."""
        left = content_length
        value = self._value
        timeout = self._write_timeout
        transport = getattr(writer, "transport", None)
        if isinstance(value, (bytes, bytearray, memoryview)):
            view = memoryview(value)
            if left is not None:
                view = view[:left]
            for start in range(0, len(view), _PIECE):
                await _within(writer, view[start : start + _PIECE], timeout, transport)
            return
        loop = asyncio.get_running_loop()
        while left is None or left > 0:
            size = _PIECE if left is None else min(_PIECE, left)
            try:
                piece = await loop.run_in_executor(None, value.read, size)
            except asyncio.CancelledError:
                _abort(transport)
                raise
            if not piece:
                return
            if isinstance(piece, str):
                piece = piece.encode("utf-8")
            if left is not None:
                left -= len(piece)
            await _within(writer, piece, timeout, transport)
