"""The fault matrix: each row is one way a server or network misbehaves, on both shells.

Every row asserts the exact outcome: the exception type and message, and how
many attempts the server saw. Retries are made fast with a tiny-delay policy
or ``retry-after-ms: 1``; nothing here sleeps more than a few tens of ms
except the timeouts under test.
"""

from __future__ import annotations

import email.utils
import time
from typing import Any

import pytest

from genai_base import (
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    BadRequestError,
    ClientContainer,
    ConflictError,
    ExponentialRetryPolicy,
    InternalServerError,
    RateLimitError,
    StreamInterruptedError,
    Timeout,
    TooManyRedirectsError,
)
from genai_base.models import Model
from genai_base.testing import Reply

from .conftest import Shell, attempts, closed_port

RETRIES = 2


def fast_client(shell: Shell, **kwargs: Any) -> Any:
    """A client whose backoff waits are a millisecond or two."""
    container = ClientContainer()
    container.retry_policy.override(ExponentialRetryPolicy(initial_delay=0.001, max_delay=0.002))
    kwargs.setdefault("max_retries", RETRIES)
    return shell.client(container=container, **kwargs)






# -- the network -------------------------------------------------------------


def test_connection_refused(shell: Shell) -> None:
    client = fast_client(shell, base_url=f"http://127.0.0.1:{closed_port()}")
    with pytest.raises(APIConnectionError, match="connection error") as info:
        shell.run(client.get("/x", cast_to=dict))
    assert type(info.value) is APIConnectionError


def test_connect_timeout(shell: Shell, blackhole_port: int) -> None:
    client = fast_client(shell, base_url=f"http://127.0.0.1:{blackhole_port}", timeout=Timeout(5, connect=0.1))
    started = time.monotonic()
    with pytest.raises(APITimeoutError, match="connect timed out"):
        shell.run(client.get("/x", cast_to=dict))
    assert time.monotonic() - started < 3


def test_reset_before_the_status_line(shell: Shell) -> None:
    shell.server.script("/f", Reply(reset="before_headers"))
    client = fast_client(shell)
    with pytest.raises(APIConnectionError) as info:
        shell.run(client.post("/f", cast_to=dict, body={}))
    assert not isinstance(info.value, APITimeoutError)
    assert attempts(shell, "/f") == RETRIES + 1


@pytest.mark.parametrize("fault", [{"reset": "mid_body"}, {"truncate": 5}])
def test_body_cut_mid_way_is_retried_then_raised(shell: Shell, fault: dict[str, Any]) -> None:
    shell.server.script("/f", Reply(json={"data": "x" * 1000}, **fault))
    client = fast_client(shell)
    with pytest.raises(StreamInterruptedError, match="cut off"):
        shell.run(client.get("/f", cast_to=dict))
    assert attempts(shell, "/f") == RETRIES + 1


def test_body_cut_once_then_whole_succeeds(shell: Shell) -> None:
    shell.server.script("/f", [Reply(json={"n": 1}, reset="mid_body"), Reply(json={"n": 2})])
    assert shell.run(fast_client(shell).get("/f", cast_to=dict)) == {"n": 2}
    assert attempts(shell, "/f") == 2


def test_reset_mid_stream(shell: Shell) -> None:
    stream = shell.run(fast_client(shell).get("/sse?count=10&cut_at=2", cast_to=dict, stream=True))
    with pytest.raises(StreamInterruptedError):
        shell.collect(stream)
    assert attempts(shell, "/sse") == 1  # a stream that has started is not replayed


def test_slow_headers_read_timeout(shell: Shell) -> None:
    shell.server.script("/f", Reply(json={}, delay=0.5))
    client = fast_client(shell, timeout=Timeout(5, read=0.05))
    with pytest.raises(APITimeoutError, match="read timed out"):
        shell.run(client.get("/f", cast_to=dict))
    assert attempts(shell, "/f") == RETRIES + 1


def test_slow_body_read_timeout(shell: Shell) -> None:
    client = fast_client(shell, timeout=Timeout(5, read=0.05), max_retries=0)
    with pytest.raises(APITimeoutError):
        shell.run(client.get("/slow-body?seconds=0.5", cast_to=dict))
    assert attempts(shell, "/slow-body") == 1


def test_stalled_event_stream(shell: Shell) -> None:
    client = fast_client(shell, timeout=Timeout(5, read=0.1))
    stream = shell.run(client.get("/sse?count=5&stall_after=1", cast_to=dict, stream=True))
    with pytest.raises(APITimeoutError, match="silent"):
        shell.collect(stream)


# -- statuses and retry-after ------------------------------------------------

_STATUS_CLASSES = {
    408: APIStatusError,
    409: ConflictError,
    429: RateLimitError,
    500: InternalServerError,
    502: InternalServerError,
    503: InternalServerError,
    504: InternalServerError,
}


def _retry_after(form: str) -> dict[str, str]:
    if form == "ms":
        return {"retry-after-ms": "1"}
    if form == "seconds":
        return {"retry-after": "0.001"}
    if form == "date":  # in the past: out of range, so the (tiny) backoff applies
        return {"retry-after": email.utils.formatdate(time.time() - 30, usegmt=True)}
    return {"retry-after": "not a number"}


@pytest.mark.parametrize("status", sorted(_STATUS_CLASSES))
@pytest.mark.parametrize("form", ["ms", "seconds", "date", "garbage"])
def test_retried_status_with_each_retry_after_form(shell: Shell, status: int, form: str) -> None:
    shell.server.script("/f", Reply(status=status, json={"error": {"message": "busy"}}, headers=_retry_after(form)))
    with pytest.raises(_STATUS_CLASSES[status]) as info:
        shell.run(fast_client(shell).get("/f", cast_to=dict))
    assert info.value.status_code == status
    assert attempts(shell, "/f") == RETRIES + 1


def test_retried_status_then_success(shell: Shell) -> None:
    shell.server.script("/f", [Reply(status=503, headers={"retry-after-ms": "1"}), Reply(json={"ok": True})])
    assert shell.run(fast_client(shell).get("/f", cast_to=dict)) == {"ok": True}
    assert [r.headers["x-genai-retry-count"] for r in shell.server.requests_to("/f")] == ["0", "1"]


def test_should_retry_false_overrides_a_retried_status(shell: Shell) -> None:
    shell.server.script("/f", Reply(status=503, headers={"x-should-retry": "false"}))
    with pytest.raises(InternalServerError):
        shell.run(fast_client(shell).get("/f", cast_to=dict))
    assert attempts(shell, "/f") == 1


def test_should_retry_true_overrides_a_final_status(shell: Shell) -> None:
    shell.server.script("/f", Reply(status=400, headers={"x-should-retry": "true"}))
    with pytest.raises(BadRequestError):
        shell.run(fast_client(shell).get("/f", cast_to=dict))
    assert attempts(shell, "/f") == RETRIES + 1


# -- bodies ------------------------------------------------------------------


class Item(Model):
    id: str


@pytest.mark.parametrize("body", [b'{"a": ', b'{"a": 1', b"[1, 2", b"nope"])
def test_malformed_or_truncated_json(shell: Shell, body: bytes) -> None:
    shell.server.script("/f", Reply(body=body, content_type="application/json"))
    with pytest.raises(APIResponseValidationError, match="could not decode") as info:
        shell.run(fast_client(shell).get("/f", cast_to=dict))
    assert info.value.status_code == 200
    assert attempts(shell, "/f") == 1  # a 2xx that cannot be parsed is not retried


def test_json_with_the_wrong_content_type(shell: Shell) -> None:
    shell.server.script("/f", Reply(body=b'{"id": "1"}', content_type="text/html"))
    client = fast_client(shell)
    with pytest.raises(APIResponseValidationError, match="text/html"):
        shell.run(client.get("/f", cast_to=Item))
    assert shell.run(client.get("/f", cast_to=object)) == '{"id": "1"}'
    assert shell.run(client.get("/f", cast_to=str)) == '{"id": "1"}'


def test_invalid_utf8(shell: Shell) -> None:
    shell.server.script("/f", Reply(body=b'{"id": "\xff\xfe"}', content_type="application/json"))
    client = fast_client(shell)
    with pytest.raises(APIResponseValidationError):
        shell.run(client.get("/f", cast_to=dict))
    assert shell.run(client.get("/f", cast_to=str)) == '{"id": "\ufffd\ufffd"}'


@pytest.mark.parametrize("strict", [True, False])
def test_empty_200_with_a_model(shell: Shell, strict: bool) -> None:
    shell.server.script("/f", Reply(body=b"", content_type="application/json"))
    client = fast_client(shell, _strict_response_validation=strict)
    with pytest.raises(APIResponseValidationError):
        shell.run(client.get("/f", cast_to=Item))
    assert shell.run(client.get("/f", cast_to=None)) is None


def test_ten_megabyte_json_body(shell: Shell) -> None:
    shell.server.script("/f", Reply(json={"data": "x" * 10_000_000}))
    body = shell.run(fast_client(shell, timeout=30).get("/f", cast_to=dict))
    assert len(body["data"]) == 10_000_000


# -- redirects -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "method", "has_body"),
    [(301, "GET", False), (302, "GET", False), (303, "GET", False), (307, "POST", True), (308, "POST", True)],
)
def test_redirect_method_and_body_handling(shell: Shell, status: int, method: str, has_body: bool) -> None:
    echo = shell.run(fast_client(shell).post(f"/redirect?to=/echo&status={status}", cast_to=dict, body={"k": 1}))
    assert echo["method"] == method
    assert echo["json"] == ({"k": 1} if has_body else None)


def test_redirect_chain_is_followed(shell: Shell) -> None:
    echo = shell.run(fast_client(shell).get("/redirect-chain/3", cast_to=dict))
    assert echo["path"] == "/redirect-chain/0"


def test_redirect_loop_is_capped(shell: Shell) -> None:
    client = fast_client(shell, max_redirects=5)
    with pytest.raises(TooManyRedirectsError, match="more than 5 redirects"):
        shell.run(client.get("/redirect-loop", cast_to=dict))
    assert attempts(shell, "/redirect-loop") == 6  # not retried: the loop would only repeat


def test_redirect_to_another_origin_drops_credentials(shell: Shell) -> None:
    from genai_base import APIKeyAuth
    from genai_base.testing import FakeAPIServer

    with FakeAPIServer() as other:
        client = fast_client(
            shell, auth=APIKeyAuth("s3cret-key"), custom_headers={"Authorization": "Bearer s3cret", "Cookie": "a=b"}
        )
        target = other.url_for("/echo")
        echo = shell.run(client.get(f"/redirect?to={target}&status=302", cast_to=dict))
        assert echo["path"] == "/echo"
        (seen,) = other.requests
        assert not {"authorization", "x-api-key", "cookie"} & set(seen.headers)
        first = shell.server.requests_to("/redirect")[0]
        assert first.headers["x-api-key"] == "s3cret-key"


def test_same_origin_redirect_keeps_a_query_string_key(shell: Shell) -> None:
    from genai_base import APIKeyAuth

    client = fast_client(shell, auth=APIKeyAuth("k-123", query_param="key"))
    echo = shell.run(client.get("/redirect?to=/echo&status=302", cast_to=dict))
    assert echo["path"] == "/echo"
    assert echo["query"]["key"] == ["k-123"]


def test_cross_origin_redirect_is_not_signed_again(shell: Shell) -> None:
    from genai_base import APIKeyAuth
    from genai_base.testing import FakeAPIServer

    with FakeAPIServer() as other:
        client = fast_client(shell, auth=APIKeyAuth("k-123", query_param="key"))
        echo = shell.run(client.get(f"/redirect?to={other.url_for('/echo')}&status=307", cast_to=dict))
        assert "key" not in echo["query"]
        assert "k-123" not in other.requests[0].url
