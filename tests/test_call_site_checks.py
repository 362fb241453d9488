"""Caller mistakes fail at once, before anything is sent, with a clear TypeError/ValueError, on both shells.

Timeouts (``0``, NaN, infinities), per-call ``max_retries``/``deadline``/
``follow_redirects``, base URLs, ``.``/``..`` path segments, header values,
non-mapping headers and params, and a ``cast_to`` the client cannot produce.
"""

from __future__ import annotations

import math
from typing import Any, Optional

import pytest

from genai_base import ConfigurationError, FinalRequestOptions, Model, Timeout, make_request_options

from .conftest import Shell, attempts


@pytest.mark.parametrize("value", [0, 0.0, -1, math.nan, math.inf, -math.inf])
def test_timeout_refuses_zero_nan_and_infinities(value: float) -> None:
    with pytest.raises(ValueError, match="positive finite"):
        Timeout(value)
    with pytest.raises(ValueError, match="timeout read"):
        Timeout(5, read=value)
    with pytest.raises(ValueError, match="timeout total"):
        Timeout(5, total=value)


@pytest.mark.parametrize("value", [True, "5", [5]])
def test_timeout_refuses_what_is_not_a_number(value: Any) -> None:
    with pytest.raises(TypeError, match="number of seconds"):
        Timeout(value)


def test_none_still_turns_a_phase_off() -> None:
    timeout = Timeout(None, connect=2)
    assert (timeout.connect, timeout.read, timeout.write, timeout.pool, timeout.total) == (2.0, None, None, None, None)


@pytest.mark.parametrize("value", [0, math.nan, math.inf])
def test_a_client_timeout_of_zero_nan_or_inf_is_refused_when_given(shell: Shell, value: float) -> None:
    with pytest.raises(ConfigurationError, match="timeout"):
        shell.client(timeout=value)


@pytest.mark.parametrize(
    ("options", "error", "match"),
    [
        ({"timeout": 0}, ValueError, "positive finite"),
        ({"timeout": math.nan}, ValueError, "positive finite"),
        ({"timeout": "fast"}, TypeError, "number of seconds"),
        ({"max_retries": -1}, ValueError, "max_retries must be >= 0"),
        ({"max_retries": "3"}, TypeError, "max_retries"),
        ({"max_retries": True}, TypeError, "max_retries"),
        ({"deadline": "x"}, TypeError, "deadline"),
        ({"deadline": math.nan}, ValueError, "deadline"),
        ({"deadline": 0}, ValueError, "deadline"),
        ({"deadline": math.inf}, ValueError, "deadline"),
        ({"follow_redirects": "no"}, TypeError, "follow_redirects"),
        ({"headers": {"X-A": None}}, TypeError, "'X-A' must have a str value"),
        ({"headers": {"X-A": b"v"}}, TypeError, "'X-A' must have a str value"),
        ({"headers": [("X-A", "v")]}, TypeError, "headers must be a mapping"),
        ({"params": [("a", "v")]}, TypeError, "params must be a mapping"),
    ],
)
def test_per_call_options_are_checked_before_anything_is_sent(
    shell: Shell, options: dict[str, Any], error: type[Exception], match: str
) -> None:
    client = shell.client(max_retries=0)
    with pytest.raises(error, match=match):
        shell.run(client.get("/echo", cast_to=dict, options=options))  # type: ignore[arg-type]
    assert attempts(shell, "/echo") == 0


def test_make_request_options_is_checked_when_the_call_is_made(shell: Shell) -> None:
    options = make_request_options(timeout=0)  # a plain dict: nothing to check yet
    with pytest.raises(ValueError, match="positive finite"):
        FinalRequestOptions(method="get", url="/echo", **options)


class Item(Model):
    id: str


@pytest.mark.parametrize("cast_to", [42, set, frozenset[int], complex, object(), "NoSuchName"])
def test_a_cast_to_the_client_cannot_produce_fails_before_sending(shell: Shell, cast_to: Any) -> None:
    client = shell.client(max_retries=0)
    with pytest.raises(TypeError, match="not a type the client can load"):
        shell.run(client.get("/echo", cast_to=cast_to))
    assert attempts(shell, "/echo") == 0


@pytest.mark.parametrize("cast_to", [dict, list, object, str, bytes, None, type(None), Item, list[Item],
                                     Optional[Item], dict[str, Any], int])
def test_every_documented_cast_to_is_accepted(shell: Shell, cast_to: Any) -> None:
    from genai_base.testing import Reply

    shell.server.script("/item", Reply(json={"id": "1"}))
    client = shell.client(max_retries=0)
    shell.run(client.get("/item", cast_to=cast_to))


@pytest.mark.parametrize(
    "base_url",
    ["ftp://127.0.0.1/", "http://127.0.0.1:99999/", "http://127.0.0.1:0/", "http:///v1", "127.0.0.1:8000",
     "http://[::1/", "http://a\\b/", "http://a b/"],
)
def test_a_base_url_that_is_no_http_url_is_refused_at_construction(shell: Shell, base_url: str) -> None:
    with pytest.raises(ValueError, match="base_url"):
        shell.client(base_url=base_url)


@pytest.mark.parametrize("path", ["/../admin", "../admin", "/v2/../../admin", "/%2e%2e/admin", "/%2E%2e/admin",
                                  "/a/./b", "/a/%2e/b", "/a/..?x=1"])
def test_a_dot_segment_in_a_relative_path_is_refused(shell: Shell, path: str) -> None:
    client = shell.client(base_url=shell.server.url + "/v1", max_retries=0)
    with pytest.raises(ValueError, match="segment"):
        shell.run(client.get(path, cast_to=dict))
    with pytest.raises(ValueError, match="segment"):
        shell.run(client.get(path, cast_to=dict, options={"params": {"q": "1"}}))
    assert shell.server.requests == []


def test_dots_that_are_not_segments_pass(shell: Shell) -> None:
    client = shell.client(max_retries=0)
    assert shell.run(client.get("/echo/file.v2..tar?next=../x", cast_to=dict))["path"] == "/echo/file.v2..tar"
    assert shell.run(client.get("/echo/...", cast_to=dict))["path"] == "/echo/..."
    absolute = shell.server.url + "/echo/../echo"  # an absolute URL is the caller's own, used as given
    assert shell.run(client.get(absolute, cast_to=dict))["method"] == "GET"
