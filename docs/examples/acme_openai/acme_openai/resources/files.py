"""``client.files``: multipart uploads."""

from functools import cached_property
from typing import IO, Mapping, Optional, Union

from genai_base import (
    AsyncAPIResource,
    Omit,
    SyncAPIResource,
    async_to_raw_response_wrapper,
    async_to_streamed_response_wrapper,
    make_request_options,
    to_raw_response_wrapper,
    to_streamed_response_wrapper,
)

from ..types import FileObject

__all__ = ["Files", "AsyncFiles", "FileInput"]

Headers = Optional[Mapping[str, Union[str, Omit]]]
#: bytes, a binary file, or ``(filename, bytes or file[, content_type])``.
FileInput = Union[bytes, IO[bytes], tuple[str, Union[bytes, IO[bytes]]], tuple[str, Union[bytes, IO[bytes]], str]]


class Files(SyncAPIResource):
    """Files on the sync client."""

    @cached_property
    def with_raw_response(self) -> "FilesWithRawResponse":
        """These methods returning the raw response."""
        return FilesWithRawResponse(self)

    @cached_property
    def with_streaming_response(self) -> "FilesWithStreamingResponse":
        """These methods yielding the response with its body unread."""
        return FilesWithStreamingResponse(self)

    def create(self, *, file: FileInput, purpose: str, extra_headers: Headers = None) -> FileObject:
        """Upload ``file`` (multipart: the file and a ``purpose`` form field)."""
        return self._post(
            "/files", cast_to=FileObject, body={"purpose": purpose}, files={"file": file},
            options=make_request_options(extra_headers=extra_headers),
        )


class AsyncFiles(AsyncAPIResource):
    """Files on the async client."""

    @cached_property
    def with_raw_response(self) -> "AsyncFilesWithRawResponse":
        """These methods returning the raw response."""
        return AsyncFilesWithRawResponse(self)

    @cached_property
    def with_streaming_response(self) -> "AsyncFilesWithStreamingResponse":
        """These methods yielding the response with its body unread."""
        return AsyncFilesWithStreamingResponse(self)

    async def create(self, *, file: FileInput, purpose: str, extra_headers: Headers = None) -> FileObject:
        """Upload ``file`` (multipart: the file and a ``purpose`` form field)."""
        return await self._post(
            "/files", cast_to=FileObject, body={"purpose": purpose}, files={"file": file},
            options=make_request_options(extra_headers=extra_headers),
        )


class FilesWithRawResponse:
    """``client.files.with_raw_response``."""

    def __init__(self, files: Files) -> None:
        self.create = to_raw_response_wrapper(files.create)


class AsyncFilesWithRawResponse:
    """``client.files.with_raw_response`` on the async client."""

    def __init__(self, files: AsyncFiles) -> None:
        self.create = async_to_raw_response_wrapper(files.create)


class FilesWithStreamingResponse:
    """``client.files.with_streaming_response``."""

    def __init__(self, files: Files) -> None:
        self.create = to_streamed_response_wrapper(files.create)


class AsyncFilesWithStreamingResponse:
    """``client.files.with_streaming_response`` on the async client."""

    def __init__(self, files: AsyncFiles) -> None:
        self.create = async_to_streamed_response_wrapper(files.create)
