"""Multipart form bodies (RFC 7578), built as bytes so both shells send the same thing.

``files=`` takes a mapping ``{field: file}`` (a list value repeats the field)
or a sequence of ``(field, file)`` pairs. A file is ``bytes``, a binary file
object, an :class:`os.PathLike`, or a tuple ``(filename, content[,
content_type[, headers]])`` whose content is any of those (or ``str``). The
filename sent is a base name, never a local path; a missing content type is
guessed from it (``application/octet-stream`` otherwise).

Reading paths and file objects blocks: :func:`read_files` does it (the
async client runs it in a thread, see :func:`files_need_reading`), and the
builder then encodes the :class:`FilePart` list it returns.
"""

from __future__ import annotations

import io
import mimetypes
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any, Optional, Union

from ._headers_check import check_header

__all__ = ["FilePart", "read_files", "files_need_reading", "encode_multipart", "boundary_of", "MULTIPART"]

MULTIPART = "multipart/form-data"
_DEFAULT_FILENAME = "upload"  # what a part of bare bytes (or a nameless file object) is called

# Quoted names in Content-Disposition, as browsers (and httpx) write
# them: '"' and control characters percent-encoded, a backslash doubled.
_QUOTED_SPECIALS = {'"': "%22", "\\": "\\\\", **{chr(c): f"%{c:02X}" for c in range(0x20) if c != 0x1B}}
_QUOTED_RE = re.compile("|".join(re.escape(c) for c in _QUOTED_SPECIALS))
_BOUNDARY_RE = re.compile(r"""(?:^|;)\s*boundary\s*=\s*"?([^";]+)"?""", re.IGNORECASE)


@dataclass(frozen=True)
class FilePart:
    """One file of a multipart body, read: field name, file name, bytes, content type, extra headers."""

    field: str
    filename: Optional[str]
    content: bytes
    content_type: Optional[str]
    headers: Mapping[str, str] = dataclass_field(default_factory=dict)


def base_name(name: str) -> str:
    """The last component of a path in either separator style (never a local path)."""
    return name.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]


def _is_file_object(value: object) -> bool:
    return isinstance(value, io.IOBase) or (callable(getattr(value, "read", None)) and not isinstance(value, type))


def _read(content: Any, where: str) -> bytes:
    """The bytes of one part's content (reads a path or a file object)."""
    if isinstance(content, (bytes, bytearray, memoryview)):
        return bytes(content)
    if isinstance(content, str):
        return content.encode("utf-8")
    if isinstance(content, os.PathLike):
        with open(content, "rb") as f:
            return f.read()
    if _is_file_object(content):
        if isinstance(content, io.TextIOBase):
            raise TypeError(f"{where}: a file opened in text mode; open it in binary mode ('rb')")
        seekable = getattr(content, "seekable", None)
        if callable(seekable) and seekable():
            content.seek(0)  # the whole file, as Stainless-generated clients send it
        data = content.read()
        if isinstance(data, str):
            raise TypeError(f"{where}: the file object returned str; pass a binary file object")
        return bytes(data)
    raise TypeError(
        f"{where}: expected bytes, a binary file object, an os.PathLike or a tuple "
        f"(filename, content[, content_type[, headers]]), got {type(content).__name__}"
    )


def _name_of(content: Any) -> Optional[str]:
    if isinstance(content, os.PathLike):
        return base_name(os.fsdecode(content))
    name = getattr(content, "name", None)
    return base_name(name) if isinstance(name, str) and name else None


def _part(field_name: str, spec: Any) -> FilePart:
    where = f"files[{field_name!r}]"
    headers: Mapping[str, str] = {}
    content_type: Optional[str] = None
    if isinstance(spec, tuple):
        if not 2 <= len(spec) <= 4:
            raise TypeError(f"{where}: a file tuple is (filename, content[, content_type[, headers]]), got {len(spec)}")
        filename = spec[0]
        content = spec[1]
        content_type = spec[2] if len(spec) > 2 else None
        headers = spec[3] if len(spec) > 3 else {}
        if filename is not None and not isinstance(filename, str):
            raise TypeError(f"{where}: the filename must be a str or None, got {type(filename).__name__}")
        if content_type is not None and not isinstance(content_type, str):
            raise TypeError(f"{where}: the content type must be a str or None, got {type(content_type).__name__}")
        if not isinstance(headers, Mapping):
            raise TypeError(f"{where}: per-part headers must be a mapping, got {type(headers).__name__}")
        filename = None if filename is None else base_name(filename)
    elif isinstance(spec, str):
        raise TypeError(f"{where}: a str is ambiguous here; pass bytes, a file object, a pathlib.Path or a tuple")
    else:
        content = spec
        filename = _name_of(spec) or _DEFAULT_FILENAME
    for name, value in headers.items():
        check_header(name, value, where=f"{where} part header")
    if content_type is None and filename:
        content_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
    return FilePart(field_name, filename, _read(content, where), content_type, dict(headers))


def _pairs(files: Any) -> list[tuple[str, Any]]:
    if isinstance(files, Mapping):
        pairs: list[tuple[str, Any]] = []
        for name, spec in files.items():
            pairs.extend((name, one) for one in (spec if isinstance(spec, list) else [spec]))
        return pairs
    if isinstance(files, Sequence) and not isinstance(files, (str, bytes)):
        for item in files:
            if isinstance(item, FilePart):
                continue
            if not (isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str)):
                raise TypeError(f"files as a sequence takes (field, file) pairs, got {item!r:.80}")
        return [(item.field, item) if isinstance(item, FilePart) else item for item in files]
    raise TypeError(f"files must be a mapping or a sequence of (field, file) pairs, got {type(files).__name__}")


def read_files(files: Any) -> list[FilePart]:
    """Every file of ``files=`` read into a :class:`FilePart` (blocking: paths and files are read)."""
    parts = []
    for field_name, spec in _pairs(files):
        if not isinstance(field_name, str):
            raise TypeError(f"file field names must be str, got {type(field_name).__name__}")
        parts.append(spec if isinstance(spec, FilePart) else _part(field_name, spec))
    return parts


def files_need_reading(files: Any) -> bool:
    """True when ``files=`` holds a path or an OS-level file, whose reading would block a loop."""

    def blocking(spec: Any) -> bool:
        content = spec[1] if isinstance(spec, tuple) and len(spec) > 1 else spec
        return isinstance(content, os.PathLike) or callable(getattr(content, "fileno", None))

    try:
        return any(blocking(spec) for _, spec in _pairs(files))
    except TypeError:
        return False  # the builder raises the clear error


def boundary_of(content_type: str) -> Optional[str]:
    """The ``boundary=`` of a multipart Content-Type value, if one was set."""
    found = _BOUNDARY_RE.search(content_type)
    return found.group(1).strip() if found else None


def _quoted(name: str, value: str) -> bytes:
    return f'{name}="{_QUOTED_RE.sub(lambda m: _QUOTED_SPECIALS[m.group(0)], value)}"'.encode()


def encode_multipart(
    fields: Sequence[tuple[str, str]], parts: Sequence[FilePart], boundary: Union[str, None] = None
) -> tuple[bytes, str]:
    """The body and its Content-Type: text ``fields`` first, then the files (random boundary unless given)."""
    if boundary is None:
        boundary = os.urandom(16).hex()
    delimiter = b"--" + boundary.encode("ascii") + b"\r\n"
    chunks: list[bytes] = []
    for name, value in fields:
        chunks += (delimiter, b"Content-Disposition: form-data; ", _quoted("name", name), b"\r\n\r\n")
        chunks += (value.encode("utf-8"), b"\r\n")
    for part in parts:
        chunks += (delimiter, b"Content-Disposition: form-data; ", _quoted("name", part.field))
        if part.filename:
            chunks += (b"; ", _quoted("filename", part.filename))
        # The part's own headers, then its type (in the order Stainless-generated clients use).
        for key, value in part.headers.items():
            chunks.append(f"\r\n{key}: {value}".encode())
        own_type = any(k.lower() == "content-type" for k in part.headers)
        if part.content_type is not None and not own_type:
            chunks.append(f"\r\nContent-Type: {part.content_type}".encode())
        chunks += (b"\r\n\r\n", part.content, b"\r\n")
    chunks.append(b"--" + boundary.encode("ascii") + b"--\r\n")
    return b"".join(chunks), f"{MULTIPART}; boundary={boundary}"
