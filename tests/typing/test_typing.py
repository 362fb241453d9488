"""The typed surface an SDK author sees: checked by ``mypy --strict`` (see .ci/run), not run by pytest.

Every verb, stream, page and raw-response form on both clients, with ``assert_type``.
The functions are never called: the type checker is the test.
"""

from __future__ import annotations

from typing import Any, Iterator, Optional

from typing_extensions import assert_type

from genai_base import (
    APIResponse,
    AsyncAPIClient,
    AsyncAPIResource,
    AsyncAPIResponse,
    AsyncPage,
    AsyncPager,
    AsyncResponseContextManager,
    AsyncStream,
    Model,
    ResponseContextManager,
    Stream,
    SyncAPIClient,
    SyncAPIResource,
    SyncPage,
    async_to_raw_response_wrapper,
    async_to_streamed_response_wrapper,
    make_request_options,
    to_raw_response_wrapper,
    to_streamed_response_wrapper,
)


class Widget(Model):
    id: str


class WidgetStream(Stream[Widget]):
    pass


class AsyncWidgetStream(AsyncStream[Widget]):
    pass


class Widgets(SyncAPIResource):
    def create(self, *, name: str, extra_headers: Optional[dict[str, str]] = None) -> Widget:
        return self._post("/widgets", cast_to=Widget, body={"name": name},
                          options=make_request_options(extra_headers=extra_headers))


class AsyncWidgets(AsyncAPIResource):
    async def create(self, *, name: str, extra_headers: Optional[dict[str, str]] = None) -> Widget:
        return await self._post("/widgets", cast_to=Widget, body={"name": name},
                                options=make_request_options(extra_headers=extra_headers))


def sync_forms(client: SyncAPIClient) -> None:
    assert_type(client.get("/w", cast_to=Widget), Widget)
    assert_type(client.post("/w", cast_to=Widget, body={}), Widget)
    assert_type(client.put("/w", cast_to=Widget), Widget)
    assert_type(client.patch("/w", cast_to=Widget), Widget)
    assert_type(client.delete("/w", cast_to=Widget), Widget)
    assert_type(client.get("/w", cast_to=dict[str, Any]), dict[str, Any])
    assert_type(client.get("/w", cast_to=Widget, stream=True), Stream[Widget])
    assert_type(client.post("/w", cast_to=Widget, stream=True, stream_cls=WidgetStream), WidgetStream)
    assert_type(client.post("/w", cast_to=Widget, stream=True, stream_cls=Stream[Widget]), Stream[Widget])
    assert_type(client.get("/w", cast_to=APIResponse[Widget]), APIResponse[Widget])

    page = client.get_api_list("/w", model=Widget)
    assert_type(page, SyncPage[Widget])
    assert_type(iter(page), Iterator[Widget])
    assert_type(page.items, list[Widget])
    assert_type(page.get_next_page(), SyncPage[Widget])

    stream = client.get("/w", cast_to=Widget, stream=True)
    assert_type(next(stream), Widget)
    assert_type(stream.response, APIResponse[Any])

    widgets = Widgets(client)
    raw = to_raw_response_wrapper(widgets.create)(name="x")
    assert_type(raw, APIResponse[Widget])
    assert_type(raw.parse(), Widget)
    assert_type(raw.status_code, int)
    assert_type(raw.read(), bytes)
    assert_type(raw.text(), str)
    assert_type(raw.iter_bytes(), Iterator[bytes])
    assert_type(raw.iter_text(), Iterator[str])
    assert_type(raw.iter_lines(), Iterator[str])
    assert_type(raw.method, str)
    assert_type(raw.http_version, str)
    assert_type(raw.is_closed, bool)
    assert_type(raw.retries_taken, int)
    streamed = to_streamed_response_wrapper(widgets.create)(name="x")
    assert_type(streamed, ResponseContextManager[APIResponse[Widget]])
    with streamed as response:
        assert_type(response, APIResponse[Widget])


async def async_forms(client: AsyncAPIClient) -> None:
    assert_type(await client.get("/w", cast_to=Widget), Widget)
    assert_type(await client.post("/w", cast_to=Widget, body={}), Widget)
    assert_type(await client.put("/w", cast_to=Widget), Widget)
    assert_type(await client.patch("/w", cast_to=Widget), Widget)
    assert_type(await client.delete("/w", cast_to=Widget), Widget)
    assert_type(await client.get("/w", cast_to=Widget, stream=True), AsyncStream[Widget])
    assert_type(
        await client.post("/w", cast_to=Widget, stream=True, stream_cls=AsyncWidgetStream), AsyncWidgetStream
    )
    assert_type(await client.get("/w", cast_to=AsyncAPIResponse[Widget]), AsyncAPIResponse[Widget])

    pager = client.get_api_list("/w", model=Widget)
    assert_type(pager, AsyncPager[Widget])
    first = await pager
    assert_type(first, AsyncPage[Widget])
    assert_type(first.items, list[Widget])
    async for item in pager:
        assert_type(item, Widget)

    stream = await client.get("/w", cast_to=Widget, stream=True)
    async for event in stream:
        assert_type(event, Widget)

    widgets = AsyncWidgets(client)
    raw = await async_to_raw_response_wrapper(widgets.create)(name="x")
    assert_type(raw, AsyncAPIResponse[Widget])
    assert_type(await raw.parse(), Widget)
    assert_type(await raw.read(), bytes)
    assert_type(await raw.text(), str)
    async for line in raw.iter_lines():
        assert_type(line, str)
    streamed = async_to_streamed_response_wrapper(widgets.create)(name="x")
    assert_type(streamed, AsyncResponseContextManager[AsyncAPIResponse[Widget]])
    async with streamed as response:
        assert_type(response, AsyncAPIResponse[Widget])
