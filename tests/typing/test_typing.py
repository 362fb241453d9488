"""The typed surface an SDK author sees: checked by ``mypy --strict`` (see .ci/run), not run by pytest.

Every verb, stream, page and raw-response form on both clients, with ``assert_type``.
The functions are never called: the type checker is the test.
"""

from __future__ import annotations

from typing import Any, Iterator, Optional, Union

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


class Gadget(Model):
    name: str


class WidgetStream(Stream[Widget]):
    pass


class AsyncWidgetStream(AsyncStream[Widget]):
    pass


class Widgets(SyncAPIResource):
    def create(self, *, name: str, extra_headers: Optional[dict[str, str]] = None) -> Widget:
        return self._post("/widgets", cast_to=Widget, body={"name": name},
                          options=make_request_options(extra_headers=extra_headers))

    def list(self, *, extra_headers: Optional[dict[str, str]] = None) -> SyncPage[Widget]:
        return self._get_api_list("/widgets", model=Widget, options=make_request_options(extra_headers=extra_headers))

    def replace(self, *, stream: bool) -> Union[Widget, Stream[Widget]]:
        # A stream only known at run time: no typing.cast needed.
        return self._put("/widgets/1", cast_to=Widget, stream=stream)


class AsyncWidgets(AsyncAPIResource):
    async def create(self, *, name: str, extra_headers: Optional[dict[str, str]] = None) -> Widget:
        return await self._post("/widgets", cast_to=Widget, body={"name": name},
                                options=make_request_options(extra_headers=extra_headers))

    def list(self, *, extra_headers: Optional[dict[str, str]] = None) -> AsyncPager[Widget]:
        return self._get_api_list("/widgets", model=Widget, options=make_request_options(extra_headers=extra_headers))

    async def replace(self, *, stream: bool) -> Union[Widget, AsyncStream[Widget]]:
        return await self._put("/widgets/1", cast_to=Widget, stream=stream)


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
    assert_type(raw.parse(to=dict[str, int]), dict[str, int])  # another type than the call's
    assert_type(raw.parse(to=Optional[Widget]), Optional[Widget])
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

    # A listing's raw form: the first page's raw response; parse() gives the page, which pages on.
    raw_page = to_raw_response_wrapper(widgets.list)()
    assert_type(raw_page, APIResponse[SyncPage[Widget]])
    assert_type(raw_page.parse(), SyncPage[Widget])
    assert_type(raw_page.parse().get_next_page(), SyncPage[Widget])
    assert_type(iter(raw_page.parse()), Iterator[Widget])
    with to_streamed_response_wrapper(widgets.list)() as page_response:
        assert_type(page_response, APIResponse[SyncPage[Widget]])
        assert_type(page_response.parse().items, list[Widget])


def sync_streams_and_context_managers(client: SyncAPIClient, flag: bool) -> None:
    # Every verb streams, and takes a stream only known at run time.
    assert_type(client.put("/w", cast_to=Widget, stream=True), Stream[Widget])
    assert_type(client.patch("/w", cast_to=Widget, stream=True, stream_cls=WidgetStream), WidgetStream)
    assert_type(client.delete("/w", cast_to=Widget, stream=True), Stream[Widget])
    assert_type(client.put("/w", cast_to=Widget, stream=False), Widget)
    for result in (
        client.get("/w", cast_to=Widget, stream=flag),
        client.post("/w", cast_to=Widget, stream=flag),
        client.put("/w", cast_to=Widget, stream=flag),
        client.patch("/w", cast_to=Widget, stream=flag),
        client.delete("/w", cast_to=Widget, stream=flag),
    ):
        assert_type(result, Union[Widget, Stream[Widget]])
    assert_type(Widgets(client).replace(stream=flag), Union[Widget, Stream[Widget]])

    # A stream subclass keeps its type through ``with``.
    with client.post("/w", cast_to=Widget, stream=True, stream_cls=WidgetStream) as stream:
        assert_type(stream, WidgetStream)
    with client.get("/w", cast_to=Widget, stream=True) as plain:
        assert_type(plain, Stream[Widget])


def sync_unions(client: SyncAPIClient) -> None:
    # A Union (or Optional) as cast_to: a PEP 747 type form, no typing.cast.
    assert_type(client.get("/w", cast_to=Union[Widget, Gadget]), Union[Widget, Gadget])
    assert_type(client.post("/w", cast_to=Optional[Widget]), Optional[Widget])
    assert_type(client.delete("/w", cast_to=Union[Widget, list[Gadget], None]), Union[Widget, list[Gadget], None])
    assert_type(client.post("/w", cast_to=Union[Widget, Gadget], stream=True), Stream[Union[Widget, Gadget]])
    assert_type(client.get_api_list("/w", model=Union[Widget, Gadget]), SyncPage[Union[Widget, Gadget]])
    assert_type(client.get("/w", cast_to=APIResponse[Union[Widget, Gadget]]).parse(), Union[Widget, Gadget])


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
    assert_type(await raw.parse(to=list[Widget]), list[Widget])
    assert_type(await raw.read(), bytes)
    assert_type(await raw.text(), str)
    async for line in raw.iter_lines():
        assert_type(line, str)
    streamed = async_to_streamed_response_wrapper(widgets.create)(name="x")
    assert_type(streamed, AsyncResponseContextManager[AsyncAPIResponse[Widget]])
    async with streamed as response:
        assert_type(response, AsyncAPIResponse[Widget])

    # A listing's raw form, awaited: the first page's raw response; ``await parse()`` gives the page.
    raw_page = await async_to_raw_response_wrapper(widgets.list)()
    assert_type(raw_page, AsyncAPIResponse[AsyncPage[Widget]])
    page = await raw_page.parse()
    assert_type(page, AsyncPage[Widget])
    assert_type(await page.get_next_page(), AsyncPage[Widget])
    async for widget in page:
        assert_type(widget, Widget)
    async with async_to_streamed_response_wrapper(widgets.list)() as page_response:
        assert_type(page_response, AsyncAPIResponse[AsyncPage[Widget]])
        assert_type((await page_response.parse()).items, list[Widget])


async def async_streams_and_context_managers(client: AsyncAPIClient, flag: bool) -> None:
    assert_type(await client.put("/w", cast_to=Widget, stream=True), AsyncStream[Widget])
    assert_type(
        await client.patch("/w", cast_to=Widget, stream=True, stream_cls=AsyncWidgetStream), AsyncWidgetStream
    )
    assert_type(await client.delete("/w", cast_to=Widget, stream=True), AsyncStream[Widget])
    assert_type(await client.put("/w", cast_to=AsyncAPIResponse[Widget]), AsyncAPIResponse[Widget])
    for result in (
        await client.get("/w", cast_to=Widget, stream=flag),
        await client.post("/w", cast_to=Widget, stream=flag),
        await client.put("/w", cast_to=Widget, stream=flag),
        await client.patch("/w", cast_to=Widget, stream=flag),
        await client.delete("/w", cast_to=Widget, stream=flag),
    ):
        assert_type(result, Union[Widget, AsyncStream[Widget]])
    assert_type(await AsyncWidgets(client).replace(stream=flag), Union[Widget, AsyncStream[Widget]])

    async with await client.post("/w", cast_to=Widget, stream=True, stream_cls=AsyncWidgetStream) as stream:
        assert_type(stream, AsyncWidgetStream)
    async with await client.get("/w", cast_to=Widget, stream=True) as plain:
        assert_type(plain, AsyncStream[Widget])


async def async_unions(client: AsyncAPIClient) -> None:
    assert_type(await client.get("/w", cast_to=Union[Widget, Gadget]), Union[Widget, Gadget])
    assert_type(await client.patch("/w", cast_to=Optional[Widget]), Optional[Widget])
    assert_type(
        await client.post("/w", cast_to=Union[Widget, Gadget], stream=True), AsyncStream[Union[Widget, Gadget]]
    )
    assert_type(client.get_api_list("/w", model=Union[Widget, Gadget]), AsyncPager[Union[Widget, Gadget]])
    raw = await client.get("/w", cast_to=AsyncAPIResponse[Union[Widget, Gadget]])
    assert_type(await raw.parse(), Union[Widget, Gadget])
