"""``client.models``: the models the API serves, in cursor pages."""

from functools import cached_property
from typing import Mapping, Optional, Union

from genai_base import (
    AsyncAPIResource,
    AsyncPager,
    CursorPaginator,
    Omit,
    SyncAPIResource,
    SyncPage,
    async_to_raw_response_wrapper,
    async_to_streamed_response_wrapper,
    make_request_options,
    to_raw_response_wrapper,
    to_streamed_response_wrapper,
)

from ..types import ModelInfo

__all__ = ["Models", "AsyncModels", "PAGINATOR"]

Headers = Optional[Mapping[str, Union[str, Omit]]]

#: Pages hold ``data`` and name the next page's cursor in ``next_cursor``, sent back as ``after``.
PAGINATOR = CursorPaginator(items_field="data", cursor_field="next_cursor", cursor_param="after")


def _query(limit: Optional[int]) -> dict[str, object]:
    return {} if limit is None else {"limit": limit}


class Models(SyncAPIResource):
    """Models on the sync client."""

    @cached_property
    def with_raw_response(self) -> "ModelsWithRawResponse":
        """These methods returning the raw response (``list``: the first page's, whose ``parse()`` gives the page)."""
        return ModelsWithRawResponse(self)

    @cached_property
    def with_streaming_response(self) -> "ModelsWithStreamingResponse":
        """These methods yielding the response with its body unread."""
        return ModelsWithStreamingResponse(self)

    def list(self, *, limit: Optional[int] = None, extra_headers: Headers = None) -> SyncPage[ModelInfo]:
        """The first page of models; iterating it yields every model across pages."""
        return self._get_api_list(
            "/models", model=ModelInfo, paginator=PAGINATOR,
            options=make_request_options(query=_query(limit), extra_headers=extra_headers),
        )

    def retrieve(self, model: str, *, extra_headers: Headers = None) -> ModelInfo:
        """One model."""
        return self._get(
            f"/models/{model}", cast_to=ModelInfo, options=make_request_options(extra_headers=extra_headers)
        )


class AsyncModels(AsyncAPIResource):
    """Models on the async client."""

    @cached_property
    def with_raw_response(self) -> "AsyncModelsWithRawResponse":
        """These methods returning the raw response."""
        return AsyncModelsWithRawResponse(self)

    @cached_property
    def with_streaming_response(self) -> "AsyncModelsWithStreamingResponse":
        """These methods yielding the response with its body unread."""
        return AsyncModelsWithStreamingResponse(self)

    def list(self, *, limit: Optional[int] = None, extra_headers: Headers = None) -> AsyncPager[ModelInfo]:
        """Awaited: the first page; ``async for``: every model across pages."""
        return self._get_api_list(
            "/models", model=ModelInfo, paginator=PAGINATOR,
            options=make_request_options(query=_query(limit), extra_headers=extra_headers),
        )

    async def retrieve(self, model: str, *, extra_headers: Headers = None) -> ModelInfo:
        """One model."""
        return await self._get(
            f"/models/{model}", cast_to=ModelInfo, options=make_request_options(extra_headers=extra_headers)
        )


class ModelsWithRawResponse:
    """``client.models.with_raw_response``."""

    def __init__(self, models: Models) -> None:
        self.list = to_raw_response_wrapper(models.list)
        self.retrieve = to_raw_response_wrapper(models.retrieve)


class AsyncModelsWithRawResponse:
    """``client.models.with_raw_response`` on the async client."""

    def __init__(self, models: AsyncModels) -> None:
        self.list = async_to_raw_response_wrapper(models.list)
        self.retrieve = async_to_raw_response_wrapper(models.retrieve)


class ModelsWithStreamingResponse:
    """``client.models.with_streaming_response``."""

    def __init__(self, models: Models) -> None:
        self.list = to_streamed_response_wrapper(models.list)
        self.retrieve = to_streamed_response_wrapper(models.retrieve)


class AsyncModelsWithStreamingResponse:
    """``client.models.with_streaming_response`` on the async client."""

    def __init__(self, models: AsyncModels) -> None:
        self.list = async_to_streamed_response_wrapper(models.list)
        self.retrieve = async_to_streamed_response_wrapper(models.retrieve)
