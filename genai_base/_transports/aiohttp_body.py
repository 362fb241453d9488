"""A file-object body aiohttp may read but not close, so a retry can rewind it and send it again.

aiohttp closes a file object once it has sent it (its ``IOBasePayload``);
the caller's file would then be unusable for the retry or the redirect that
resends it (see ``PreparedRequest.rewind``). :class:`KeepOpen` hands aiohttp
the same file with a ``close`` that does nothing; the caller closes it.
"""

from __future__ import annotations

import io
from typing import Any

__all__ = ["KeepOpen"]


class KeepOpen(io.RawIOBase):
    """Reads, seeks and tells through to ``raw``; ``close()`` leaves it open."""

    def __init__(self, raw: Any) -> None:
        super().__init__()
        self._raw = raw

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return bool(self._raw.seekable()) if hasattr(self._raw, "seekable") else True

    def read(self, size: int = -1) -> bytes:
        data = self._raw.read(size)
        return data.encode("utf-8") if isinstance(data, str) else bytes(data)

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return int(self._raw.seek(offset, whence))

    def tell(self) -> int:
        return int(self._raw.tell())

    def fileno(self) -> int:
        return int(self._raw.fileno())

    def close(self) -> None:
        """Leave the caller's file open (aiohttp calls this once it has sent the body)."""
