"""``client.embeddings``: vectors for inputs."""

from functools import cached_property
from typing import Mapping, Optional, Sequence, Union

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

from ..types import EmbeddingList

__all__ = ["Embeddings", "AsyncEmbeddings"]

Headers = Optional[Mapping[str, Union[str, Omit]]]


def _body(input: Union[str, Sequence[str]], model: str) -> dict[str, object]:
    return {"model": model, "input": input if isinstance(input, str) else list(input)}


class Embeddings(SyncAPIResource):
    """Embeddings on the sync client."""

    @cached_property
    def with_raw_response(self) -> "EmbeddingsWithRawResponse":
        """These methods returning the raw response."""
        return EmbeddingsWithRawResponse(self)

    @cached_property
    def with_streaming_response(self) -> "EmbeddingsWithStreamingResponse":
        """These methods yielding the response with its body unread."""
        return EmbeddingsWithStreamingResponse(self)

    def create(self, *, input: Union[str, Sequence[str]], model: str, extra_headers: Headers = None) -> EmbeddingList:
        """The embedding of each input."""
        return self._post(
            "/embeddings", cast_to=EmbeddingList, body=_body(input, model),
            options=make_request_options(extra_headers=extra_headers),
        )


class AsyncEmbeddings(AsyncAPIResource):
    """Embeddings on the async client."""

    @cached_property
    def with_raw_response(self) -> "AsyncEmbeddingsWithRawResponse":
        """These methods returning the raw response."""
        return AsyncEmbeddingsWithRawResponse(self)

    @cached_property
    def with_streaming_response(self) -> "AsyncEmbeddingsWithStreamingResponse":
        """These methods yielding the response with its body unread."""
        return AsyncEmbeddingsWithStreamingResponse(self)

    async def create(
        self, *, input: Union[str, Sequence[str]], model: str, extra_headers: Headers = None
    ) -> EmbeddingList:
        """The embedding of each input."""
        return await self._post(
            "/embeddings", cast_to=EmbeddingList, body=_body(input, model),
            options=make_request_options(extra_headers=extra_headers),
        )


class EmbeddingsWithRawResponse:
    """``client.embeddings.with_raw_response``."""

    def __init__(self, embeddings: Embeddings) -> None:
        self.create = to_raw_response_wrapper(embeddings.create)


class AsyncEmbeddingsWithRawResponse:
    """``client.embeddings.with_raw_response`` on the async client."""

    def __init__(self, embeddings: AsyncEmbeddings) -> None:
        self.create = async_to_raw_response_wrapper(embeddings.create)


class EmbeddingsWithStreamingResponse:
    """``client.embeddings.with_streaming_response``."""

    def __init__(self, embeddings: Embeddings) -> None:
        self.create = to_streamed_response_wrapper(embeddings.create)


class AsyncEmbeddingsWithStreamingResponse:
    """``client.embeddings.with_streaming_response`` on the async client."""

    def __init__(self, embeddings: AsyncEmbeddings) -> None:
        self.create = async_to_streamed_response_wrapper(embeddings.create)
