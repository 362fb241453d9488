"""Paging on both shells against the real fake server: every paginator, stop rules, retries, loops."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any, Mapping

import pytest
from multidict import CIMultiDict

from genai_base import (
    APIKeyAuth,
    APIResponseValidationError,
    ClientContainer,
    InternalServerError,
    PluginNotFoundError,
    make_request_options,
)
from genai_base._pagination import (
    AsyncPage,
    AsyncPager,
    CursorPaginator,
    LinkHeaderPaginator,
    OffsetPaginator,
    PageInfo,
    PageNumberPaginator,
    PaginationError,
    PaginationLoopError,
    Paginator,
    SyncPage,
    parse_link_header,
)
from genai_base.models import Model
from genai_base.testing import Reply
from genai_base.testing._routes_paging import make_items

from .conftest import Shell

RETRY_NOW = {"retry-after-ms": "1"}


class Item(Model):
    id: str
    index: int


def indexes(items: list[Any]) -> list[int]:
    return [item.index if isinstance(item, Item) else item["index"] for item in items]


def bodies(shell: Shell, path: str) -> list[Any]:
    return [request.json() for request in shell.server.requests_to(path)]


def queries(shell: Shell, path: str) -> list[dict[str, list[str]]]:
    return [request.query_dict() for request in shell.server.requests_to(path)]


def listing(shell: Shell, path: str, **kwargs: Any) -> Any:
    kwargs.setdefault("model", dict)
    return shell.client().get_api_list(path, **kwargs)


def params(**values: Any) -> Any:
    return make_request_options(extra_query=values)


# --- every paginator: all items in order, and not one request too many -----------------------------


def test_cursor_pages_through_everything(shell: Shell) -> None:
    items = shell.collect(listing(shell, "/items/cursor", options=params(limit=10, total=25)))
    assert indexes(items) == list(range(25))
    sent = queries(shell, "/items/cursor")
    assert [q.get("page_token") for q in sent] == [None, ["10"], ["20"]]  # null cursor on page 3: stop
    assert all(q["limit"] == ["10"] and q["total"] == ["25"] for q in sent)


def test_cursor_stops_at_an_empty_string_cursor(shell: Shell) -> None:
    items = shell.collect(listing(shell, "/items/cursor-empty-token", options=params(limit=10)))
    assert indexes(items) == list(range(25))
    assert len(shell.server.requests_to("/items/cursor-empty-token")) == 3


def test_cursor_stops_at_an_empty_page_that_still_has_a_cursor(shell: Shell) -> None:
    items = shell.collect(listing(shell, "/items/cursor-empty-page", options=params(limit=10)))
    assert indexes(items) == list(range(25))
    sent = queries(shell, "/items/cursor-empty-page")
    assert [q.get("page_token") for q in sent] == [None, ["10"], ["20"], ["30"]]


def test_offset_stops_at_a_short_page(shell: Shell) -> None:
    items = shell.collect(listing(shell, "/items/offset", paginator=OffsetPaginator(), options=params(limit=10)))
    assert indexes(items) == list(range(25))
    assert [q.get("offset") for q in queries(shell, "/items/offset")] == [None, ["10"], ["20"]]


def test_offset_stops_at_a_short_page_when_total_is_a_multiple_of_the_limit(shell: Shell) -> None:
    items = shell.collect(listing(shell, "/items/offset", paginator="offset", options=params(limit=5, total=10)))
    assert indexes(items) == list(range(10))
    # 5, 5, then an empty page: a full page can't tell that it was the last.
    assert [q.get("offset") for q in queries(shell, "/items/offset")] == [None, ["5"], ["10"]]


def test_offset_without_a_limit_stops_only_at_an_empty_page(shell: Shell) -> None:
    items = shell.collect(listing(shell, "/items/offset", paginator="offset", options=params(total=25)))
    assert indexes(items) == list(range(25))
    # The server's default page is 10: 10, 10, 5 (short, but no limit was sent), then empty.
    assert [q.get("offset") for q in queries(shell, "/items/offset")] == [None, ["10"], ["20"], ["25"]]


def test_page_numbers_start_at_one_and_stop_at_an_empty_page(shell: Shell) -> None:
    items = shell.collect(listing(shell, "/items/page", paginator="page_number", options=params(per_page=10)))
    assert indexes(items) == list(range(25))
    assert [q.get("page") for q in queries(shell, "/items/page")] == [None, ["2"], ["3"], ["4"]]


def test_page_numbers_continue_from_the_page_sent_first(shell: Shell) -> None:
    items = shell.collect(listing(shell, "/items/page", paginator="page_number", options=params(per_page=10, page=2)))
    assert indexes(items) == list(range(10, 25))
    assert [q.get("page") for q in queries(shell, "/items/page")] == [["2"], ["3"], ["4"]]


def test_link_header_pages_through_everything(shell: Shell) -> None:
    items = shell.collect(listing(shell, "/items/link", paginator="link_header", options=params(per_page=10)))
    assert indexes(items) == list(range(25))
    sent = queries(shell, "/items/link")
    assert [q.get("page") for q in sent] == [None, ["2"], ["3"]]  # page 3 has no rel="next": stop
    assert all(q["per_page"] == ["10"] for q in sent)  # the link's own value, not repeated


def test_link_header_pointing_to_another_path(shell: Shell) -> None:
    items = shell.collect(listing(shell, "/items/link-other", paginator=LinkHeaderPaginator()))
    assert indexes(items) == list(range(25))
    assert len(shell.server.requests_to("/items/link-other")) == 1
    assert [q["page"] for q in queries(shell, "/items/link-other-2")] == [["2"], ["3"]]


def test_relative_link_is_resolved_against_the_page_url(shell: Shell) -> None:
    shell.server.script(
        "/rel/a", Reply(json=make_items(0, 2), headers={"Link": '<b?x=1>; rel="next last", </rel/a>; rel=first'})
    )
    shell.server.script("/rel/b", Reply(json=make_items(2, 3)))
    items = shell.collect(listing(shell, "/rel/a", paginator="link_header"))
    assert indexes(items) == [0, 1, 2]
    assert [r.query_string for r in shell.server.requests_to("/rel/b")] == ["x=1"]


def test_link_to_another_origin_is_refused(shell: Shell) -> None:
    other = shell.server.url.replace("127.0.0.1", "localhost") + "/items/link"
    shell.server.script("/far", Reply(json=make_items(0, 2), headers={"Link": f'<{other}>; rel="next"'}))
    with pytest.raises(PaginationError, match="another origin"):
        shell.collect(listing(shell, "/far", paginator="link_header"))
    assert [r.path for r in shell.server.requests] == ["/far"]


@pytest.mark.parametrize(
    ("paginator", "query"),
    [("cursor", {}), ("offset", {}), ("page_number", {}), ("link_header", {"style": "link"})],
)
def test_an_empty_first_page(shell: Shell, paginator: str, query: dict[str, str]) -> None:
    page = shell.run(listing(shell, "/items/empty", paginator=paginator, options=params(**query)))
    assert page.items == []
    assert page.has_next_page() is False
    assert page.next_page_info() is None
    assert shell.collect(page) == []
    assert len(shell.server.requests_to("/items/empty")) == 1


# --- loops ---------------------------------------------------------------------------------------------


def test_a_repeated_cursor_raises_instead_of_looping(shell: Shell) -> None:
    with pytest.raises(PaginationLoopError) as caught:
        shell.collect(listing(shell, "/items/cursor-repeat", options=params(limit=3)))
    message = str(caught.value)
    assert "page_token='same'" in message
    assert "/items/cursor-repeat" in message
    assert caught.value.page_info == PageInfo(params={"page_token": "same"})
    assert caught.value.url.startswith(shell.server.url + "/items/cursor-repeat")
    assert len(shell.server.requests_to("/items/cursor-repeat")) == 2


def test_a_link_back_to_an_earlier_page_raises(shell: Shell) -> None:
    shell.server.script("/loop/a", Reply(json=make_items(0, 1), headers={"Link": '</loop/b>; rel="next"'}))
    shell.server.script("/loop/b", Reply(json=make_items(1, 2), headers={"Link": '</loop/a>; rel="next"'}))
    with pytest.raises(PaginationLoopError, match="/loop/a"):
        shell.collect(listing(shell, "/loop/a", paginator="link_header"))
    assert len(shell.server.requests) == 2


def test_fetching_the_same_next_page_twice_is_not_a_loop(shell: Shell) -> None:
    first = shell.run(listing(shell, "/items/cursor", options=params(limit=10)))
    again = [shell.run(first.get_next_page()) for _ in range(2)]
    assert [indexes(page.items) for page in again] == [list(range(10, 20))] * 2


# --- POST listings page with the body ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "paginator", "body", "field", "sent"),
    [
        ("/items/cursor", "cursor", {"limit": 10, "total": 25}, "page_token", [None, "10", "20"]),
        ("/items/offset", "offset", {"limit": 10}, "offset", [None, 10, 20]),
        ("/items/page", "page_number", {"per_page": 10}, "page", [None, 2, 3, 4]),
    ],
)
def test_post_listing_sends_paging_values_in_the_body(
    shell: Shell, path: str, paginator: str, body: dict[str, Any], field: str, sent: list[Any]
) -> None:
    items = shell.collect(listing(shell, path, paginator=paginator, method="post", body={**body, "query": "q"}))
    assert indexes(items) == list(range(25))
    recorded = shell.server.requests_to(path)
    assert [r.method for r in recorded] == ["POST"] * len(sent)
    assert [body.get(field) for body in bodies(shell, path)] == sent
    assert all(body["query"] == "q" for body in bodies(shell, path))
    assert all(r.query == [] for r in recorded)


def test_post_listing_with_a_model_body(shell: Shell) -> None:
    class Search(Model):
        query: str
        limit: int

    items = shell.collect(listing(shell, "/items/cursor", method="post", body=Search(query="q", limit=10)))
    assert indexes(items) == list(range(25))
    sent = bodies(shell, "/items/cursor")
    assert [body.get("page_token") for body in sent] == [None, "10", "20"]
    assert all(body["query"] == "q" and body["limit"] == 10 for body in sent)


def test_post_listing_cursor_replaces_one_given_in_extra_body(shell: Shell) -> None:
    options = make_request_options(extra_body={"page_token": "0", "flag": True})
    items = shell.collect(listing(shell, "/items/cursor", method="post", body={"limit": 10}, options=options))
    assert indexes(items) == list(range(25))
    sent = bodies(shell, "/items/cursor")
    assert [body["page_token"] for body in sent] == ["0", "10", "20"]
    assert all(body["flag"] is True for body in sent)


# --- later pages keep the first call's options, and go through the client's retries ------------------------


@pytest.mark.parametrize(
    ("path", "paginator", "query", "pages"),
    [
        ("/items/cursor", "cursor", {"limit": 10}, 3),
        ("/items/offset", "offset", {"limit": 10}, 3),
        ("/items/page", "page_number", {"per_page": 10}, 4),
        ("/items/link", "link_header", {"per_page": 10}, 3),
    ],
)
def test_later_pages_keep_headers_query_auth_and_timeout(
    shell: Shell, path: str, paginator: str, query: dict[str, Any], pages: int
) -> None:
    client = shell.client(auth=APIKeyAuth("secret-key"), custom_query={"tenant": "t1"})
    options = make_request_options(extra_headers={"X-Trace": "trace-1"}, extra_query=query, timeout=7.5)
    page = shell.run(client.get_api_list(path, model=Item, paginator=paginator, options=options))
    fetched = shell.collect(page.iter_pages())
    assert len(fetched) == pages
    assert all(p.options.timeout == 7.5 and p.options.headers == {"X-Trace": "trace-1"} for p in fetched)
    recorded = shell.server.requests_to(path)
    assert len(recorded) == pages
    for request in recorded:
        assert request.headers["x-trace"] == "trace-1"
        assert request.headers["x-api-key"] == "secret-key"
        assert request.query_dict()["tenant"] == ["t1"]


def _cursor_page(start: int, stop: int, token: str | None) -> Reply:
    return Reply(json={"data": make_items(start, stop), "next_page_token": token})


def _data_page(start: int, stop: int) -> Reply:
    return Reply(json={"data": make_items(start, stop)})


BUSY = Reply(status=503, headers=RETRY_NOW, json={"error": {"message": "busy"}})


@pytest.mark.parametrize(
    ("paginator", "query", "replies", "field", "sent"),
    [
        (
            "cursor",
            {},
            [_cursor_page(0, 10, "10"), BUSY, _cursor_page(10, 20, "20"), _cursor_page(20, 25, None)],
            "page_token",
            [None, "10", "10", "20"],
        ),
        (
            "offset",
            {"limit": 10},
            [_data_page(0, 10), BUSY, _data_page(10, 20), _data_page(20, 25)],
            "offset",
            [None, "10", "10", "20"],
        ),
        (
            "page_number",
            {},
            [_data_page(0, 10), BUSY, _data_page(10, 20), _data_page(20, 25), _data_page(25, 25)],
            "page",
            [None, "2", "2", "3", "4"],
        ),
    ],
)
def test_a_failure_in_the_middle_of_paging_is_retried(
    shell: Shell, paginator: str, query: dict[str, Any], replies: list[Reply], field: str, sent: list[Any]
) -> None:
    shell.server.script("/scripted", replies)
    items = shell.collect(listing(shell, "/scripted", model=Item, paginator=paginator, options=params(**query)))
    assert indexes(items) == list(range(25))
    assert all(isinstance(item, Item) for item in items)
    recorded = shell.server.requests_to("/scripted")
    assert [r.query_dict().get(field, [None])[0] for r in recorded] == sent
    retry_counts = ["0"] * len(sent)
    retry_counts[2] = "1"
    assert [r.headers["x-genai-retry-count"] for r in recorded] == retry_counts


def test_a_failure_in_the_middle_of_a_real_link_listing_is_retried(shell: Shell) -> None:
    shell.server.script(
        "/items/link-other-2",
        [
            BUSY,
            Reply(json=make_items(10, 20)),
        ],
    )
    items = shell.collect(listing(shell, "/items/link-other", paginator="link_header", options=params(per_page=10)))
    assert indexes(items) == list(range(20))
    recorded = shell.server.requests_to("/items/link-other-2")
    assert [r.headers["x-genai-retry-count"] for r in recorded] == ["0", "1"]
    assert all(r.query_dict()["page"] == ["2"] for r in recorded)


@pytest.mark.parametrize(
    ("path", "paginator", "query", "field"),
    [
        ("/items/cursor", "cursor", {"limit": 10}, "page_token"),
        ("/items/offset", "offset", {"limit": 10}, "offset"),
        ("/items/page", "page_number", {"per_page": 10}, "page"),
    ],
)
def test_a_real_route_failing_on_page_two_is_retried_and_the_listing_goes_on(
    shell: Shell, path: str, paginator: str, query: dict[str, Any], field: str
) -> None:
    # Page one goes through, the request for page two fails once, then the route answers again.
    shell.server.fail(path, BUSY, after=1)
    items = shell.collect(listing(shell, path, model=Item, paginator=paginator, options=params(total=25, **query)))
    assert indexes(items) == list(range(25))
    recorded = shell.server.requests_to(path)
    page_two = recorded[1].query_dict().get(field)
    assert page_two is not None and recorded[2].query_dict().get(field) == page_two  # the same page, again
    assert [r.headers["x-genai-retry-count"] for r in recorded[:3]] == ["0", "0", "1"]
    assert all(r.headers["x-genai-retry-count"] == "0" for r in recorded[3:])


def test_later_pages_keep_the_first_calls_max_retries(shell: Shell) -> None:
    shell.server.script("/scripted/cursor", [_cursor_page(0, 10, "10"), BUSY])
    page = shell.run(listing(shell, "/scripted/cursor", options=make_request_options(max_retries=0)))
    with pytest.raises(InternalServerError):
        shell.run(page.get_next_page())
    assert len(shell.server.requests_to("/scripted/cursor")) == 2


# --- choosing a paginator ----------------------------------------------------------------------------


def test_the_containers_paginator_is_the_default(shell: Shell) -> None:
    container = ClientContainer()
    container.config.from_dict({"paginator": "page_number"})
    client = shell.client(container=container)
    items = shell.collect(client.get_api_list("/items/page", model=dict, options=params(per_page=10)))
    assert indexes(items) == list(range(25))
    assert len(shell.server.requests_to("/items/page")) == 4


def test_an_unknown_paginator_name_fails_at_once(shell: Shell) -> None:
    with pytest.raises(PluginNotFoundError, match="nope"):
        listing(shell, "/items/cursor", paginator="nope")
    assert shell.server.requests == []


def test_a_custom_paginator_with_its_own_field_names(shell: Shell) -> None:
    shell.server.script(
        "/custom",
        [
            Reply(json={"results": make_items(0, 3), "meta": {"after": "c1"}}),
            Reply(json={"results": make_items(3, 5), "meta": {"after": None}}),
        ],
    )

    class MetaCursor:
        def items(self, data: Any) -> list[Any]:
            return list(data["results"])

        def next_page(self, data: Any, response: Any, current: PageInfo) -> PageInfo | None:
            after = data["meta"]["after"]
            assert response.headers["content-type"].startswith("application/json")
            return PageInfo(params={"after": after}) if after else None

    assert isinstance(MetaCursor(), Paginator)
    items = shell.collect(listing(shell, "/custom", paginator=MetaCursor(), model=Item))
    assert indexes(items) == list(range(5))
    assert [q.get("after") for q in queries(shell, "/custom")] == [None, ["c1"]]


def test_cursor_paginator_with_other_field_names(shell: Shell) -> None:
    shell.server.script(
        "/renamed",
        [
            Reply(json={"entries": make_items(0, 2), "next": "n1"}),
            Reply(json={"entries": make_items(2, 3)}),
        ],
    )
    paginator = CursorPaginator(items_field="entries", cursor_field="next", cursor_param="cursor")
    items = shell.collect(listing(shell, "/renamed", paginator=paginator))
    assert indexes(items) == [0, 1, 2]
    assert [q.get("cursor") for q in queries(shell, "/renamed")] == [None, ["n1"]]


# --- items as models, strictness ------------------------------------------------------------------------


def test_items_are_loaded_as_models(shell: Shell) -> None:
    client = shell.client(_strict_response_validation=True)
    page = shell.run(client.get_api_list("/items/offset", model=Item, paginator="offset", options=params(limit=10)))
    assert page.items[0] == Item(id="item_0", index=0)
    assert all(isinstance(item, Item) for item in shell.collect(page))


def test_object_model_keeps_items_as_decoded(shell: Shell) -> None:
    items = shell.collect(listing(shell, "/items/cursor", model=object, options=params(total=3)))
    assert items == make_items(0, 3)


def test_strict_mode_rejects_a_mistyped_item(shell: Shell) -> None:
    shell.server.script("/bad", Reply(json={"data": [{"id": "a", "index": "not a number"}]}))
    client = shell.client(_strict_response_validation=True)
    with pytest.raises(APIResponseValidationError):
        shell.run(client.get_api_list("/bad", model=Item))
    lenient = shell.run(shell.client().get_api_list("/bad", model=Item))
    assert lenient.items[0].index == "not a number"


def test_a_body_that_is_not_a_page(shell: Shell) -> None:
    shell.server.script("/notapage", Reply(json={"data": "oops"}))
    client = shell.client(_strict_response_validation=True)
    with pytest.raises(APIResponseValidationError, match="'data' to be a list"):
        shell.run(client.get_api_list("/notapage", model=dict))
    page = shell.run(shell.client().get_api_list("/notapage", model=dict))
    assert page.items == [] and page.has_next_page() is False
    assert page.data == {"data": "oops"}


# --- the page objects ---------------------------------------------------------------------------------------


def test_page_by_page(shell: Shell) -> None:
    page = shell.run(listing(shell, "/items/cursor", model=Item, options=params(limit=10)))
    assert isinstance(page, AsyncPage if shell.is_async else SyncPage)
    assert indexes(page.items) == list(range(10))
    assert page.has_next_page() is True
    assert page.next_page_info() == PageInfo(params={"page_token": "10"})
    assert page.response.status_code == 200
    second = shell.run(page.get_next_page())
    assert indexes(second.items) == list(range(10, 20))
    # Iterating a later page yields the items from that page on.
    assert indexes(shell.collect(second)) == list(range(10, 25))
    last = shell.run(second.get_next_page())
    assert last.has_next_page() is False
    with pytest.raises(RuntimeError, match="No next page"):
        shell.run(last.get_next_page())
    assert [indexes(p.items) for p in shell.collect(page.iter_pages())] == [
        list(range(10)),
        list(range(10, 20)),
        list(range(20, 25)),
    ]


def test_sync_iteration_is_lazy(fake_api: Any) -> None:
    shell = Shell("sync", fake_api)
    try:
        page = listing(shell, "/items/cursor", options=params(limit=10))
        assert indexes(list(itertools.islice(page, 10))) == list(range(10))
        assert len(fake_api.requests_to("/items/cursor")) == 1
        assert indexes(list(itertools.islice(page, 11))) == list(range(11))
        assert len(fake_api.requests_to("/items/cursor")) == 2
    finally:
        shell.close()


def test_async_pager_is_awaitable_and_iterable(fake_api: Any) -> None:
    shell = Shell("async", fake_api)
    try:
        pager = listing(shell, "/items/cursor", options=params(limit=10))
        assert isinstance(pager, AsyncPager)
        assert fake_api.requests == []  # nothing is sent before it is awaited or iterated

        async def first_five() -> list[Any]:
            out = []
            async for item in pager:
                out.append(item)
                if len(out) == 5:
                    break
            return out

        assert indexes(shell.run(first_five())) == list(range(5))
        assert len(fake_api.requests_to("/items/cursor")) == 1
        page = shell.run(pager)
        assert isinstance(page, AsyncPage) and len(page.items) == 10
        assert indexes(shell.collect(pager)) == list(range(25))
    finally:
        shell.close()


# --- paginators and the Link parser, without I/O -----------------------------------------------------------


@dataclass
class _Head:
    headers: Mapping[str, str]
    url: str = "https://api.example.com/v1/items?page=1"


def test_cursor_stop_rules() -> None:
    paginator = CursorPaginator()
    here = PageInfo(params={})
    for data in ({"data": [1]}, {"data": [1], "next_page_token": None}, {"data": [1], "next_page_token": ""},
                 {"data": [], "next_page_token": "x"}):
        assert paginator.next_page(data, _Head({}), here) is None
    assert paginator.next_page({"data": [1], "next_page_token": "x"}, _Head({}), here) == PageInfo(
        params={"page_token": "x"}
    )


def test_offset_and_page_number_rules() -> None:
    offset = OffsetPaginator(items_field="rows", offset_param="skip", limit_param="take")
    assert offset.next_page({"rows": [1, 2]}, _Head({}), PageInfo(params={"skip": "4", "take": "2"})) == PageInfo(
        params={"skip": 6}
    )
    assert offset.next_page({"rows": [1]}, _Head({}), PageInfo(params={"take": 2})) is None
    assert offset.next_page({"rows": [1]}, _Head({}), PageInfo(params={})) == PageInfo(params={"skip": 1})
    pages = PageNumberPaginator(page_param="p")
    assert pages.next_page({"data": [1]}, _Head({}), PageInfo(params={})) == PageInfo(params={"p": 2})
    assert pages.next_page({"data": []}, _Head({}), PageInfo(params={"p": 3})) is None


def test_page_info_needs_a_url_or_params() -> None:
    with pytest.raises(ValueError):
        PageInfo()


def test_link_header_parsing() -> None:
    value = (
        '<https://x.test/a?q=1,2;3>; rel="prev first"; title="a, b; c", '
        '<https://x.test/b>; REL = "Next   Last" ; title="say \\"hi\\"", '
        "<c>; rel=next; rel=prev, garbage, <d>; rel*=UTF-8''next"
    )
    links = parse_link_header(value)
    assert [link.url for link in links] == ["https://x.test/a?q=1,2;3", "https://x.test/b", "c", "d"]
    assert links[0].rels == ("prev", "first") and links[0].params["title"] == "a, b; c"
    assert links[1].rels == ("next", "last") and links[1].params["title"] == 'say "hi"'
    assert links[2].rels == ("next",)  # the first rel wins
    assert links[3].rels == ("next",)
    assert parse_link_header("") == [] and parse_link_header("<unterminated") == []


def test_link_header_paginator_finds_next_among_several_links_and_headers() -> None:
    paginator = LinkHeaderPaginator()
    here = PageInfo(params={})
    one = _Head({"Link": '<https://x.test/first>; rel="first", <../v2/items?page=2>; rel="next last"'})
    assert paginator.next_page([1], one, here) == PageInfo(url="https://api.example.com/v2/items?page=2")
    several = CIMultiDict([("Link", '<https://x.test/first>; rel="first"'), ("Link", '<?page=3>; rel="next"')])
    assert paginator.next_page([1], _Head(several), here) == PageInfo(url="https://api.example.com/v1/items?page=3")
    assert paginator.next_page([1], _Head({"Link": '<https://x.test/p>; rel="prev"'}), here) is None
    assert paginator.next_page([], one, here) is None
    field = LinkHeaderPaginator(items_field="data")
    assert field.items({"data": [1, 2]}) == [1, 2]
