"""genai-base-hmac end to end: signatures checked by the fake server's /hmac/verify, on both clients."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from pathlib import Path
from typing import Any, Callable

import pytest
from genai_base_hmac import HMACAuth, string_to_sign

from genai_base import (
    AsyncAPIClient,
    AuthenticationError,
    ClientContainer,
    PluginLoadError,
    PreparedRequest,
    SyncAPIClient,
    make_request_options,
)
from genai_base.testing import FakeAPIServer, Reply

# The key the fake server's /hmac/verify route knows (see genai_base.testing).
KEY_ID = "test-key"
SECRET = "genai-base-test-secret"
OPTIONS = {"key_id": KEY_ID, "secret": SECRET}


def call(kind: str, fn: Callable[[Any], Any], **kwargs: Any) -> Any:
    """Build a client of ``kind``, run ``fn(client)`` (awaited on the async client), close it."""
    kwargs.setdefault("version", "1.0.0")
    if kind == "sync":
        with SyncAPIClient(**kwargs) as client:
            return fn(client)

    async def main() -> Any:
        async with AsyncAPIClient(**kwargs) as client:
            return await fn(client)

    return asyncio.run(main())


@pytest.fixture(params=["sync", "async"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def hmac_container(**options: str) -> ClientContainer:
    container = ClientContainer()
    container.config.from_dict({"auth_options": {**OPTIONS, **options}})
    return container


# -- signing -----------------------------------------------------------------------------------


def test_string_to_sign_is_canonical() -> None:
    first = string_to_sign("get", "http://h/a%20b/c?z=1&a=%7E&a=0", "HASH", "100")
    second = string_to_sign("GET", "http://h/a b/c?a=0&a=~&z=1", "HASH", "100")
    assert first == second == "GENAI-HMAC-SHA256\n100\nGET\n/a%20b/c\na=0&a=~&z=1\nHASH"


def test_sign_adds_the_headers_and_hashes_the_body() -> None:
    auth = HMACAuth(KEY_ID, SECRET, clock=lambda: 1_700_000_000.9)
    signed = auth.sign(PreparedRequest(method="POST", url="http://h/p", headers={}, content=b"abc"))
    assert signed.headers["X-Key-Id"] == KEY_ID
    assert signed.headers["X-Signature-Timestamp"] == "1700000000"
    assert signed.headers["X-Content-SHA256"] == hashlib.sha256(b"abc").hexdigest()
    assert len(signed.headers["X-Signature"]) == 64
    assert {"x-signature", "x-key-id"} <= auth.sensitive_headers


def test_the_secret_is_never_shown() -> None:
    auth = HMACAuth(KEY_ID, SECRET)
    assert SECRET not in repr(auth)
    client = SyncAPIClient(version="1", base_url="http://127.0.0.1:9", auth=auth)
    assert SECRET not in repr(client)
    client.close()


# -- end to end, both clients --------------------------------------------------------------------


@pytest.mark.parametrize(
    "method, path, kwargs",
    [
        ("get", "/hmac/verify", {"options": make_request_options(extra_query={"z": "a b/c", "a": ["2", "1"]})}),
        ("post", "/hmac/verify/nested/path", {"body": {"a": 1, "text": "é"}}),
        ("put", "/hmac/verify?x=1", {"content": b"raw bytes"}),
        ("post", "/hmac/verify", {"files": {"f": ("a.txt", b"hello", "text/plain")}, "body": {"field": "v"}}),
    ],
)
def test_signed_requests_verify(kind: str, fake_api: FakeAPIServer, method: str, path: str, kwargs: Any) -> None:
    answer = call(
        kind,
        lambda c: getattr(c, method)(path, cast_to=dict, **kwargs),
        base_url=fake_api.url,
        auth="hmac",
        container=hmac_container(),
    )
    assert answer["verified"] is True
    assert answer["method"] == method.upper()
    assert answer["unsigned_payload"] is False  # multipart bodies are bytes, signed like any other


def test_a_wrong_secret_is_rejected_with_401(kind: str, fake_api: FakeAPIServer) -> None:
    with pytest.raises(AuthenticationError, match="signature does not match") as info:
        call(
            kind,
            lambda c: c.get("/hmac/verify", cast_to=dict),
            base_url=fake_api.url,
            auth=HMACAuth(KEY_ID, "not-the-secret"),
        )
    assert "not-the-secret" not in str(info.value)
    assert len(fake_api.requests_to("/hmac/verify")) == 1  # a 401 is not retried


def test_a_stale_timestamp_is_rejected(kind: str, fake_api: FakeAPIServer) -> None:
    with pytest.raises(AuthenticationError, match="timestamp"):
        call(
            kind,
            lambda c: c.get("/hmac/verify", cast_to=dict),
            base_url=fake_api.url,
            auth=HMACAuth(KEY_ID, SECRET, clock=lambda: 1000.0),
        )


def test_each_retry_is_signed_again(kind: str, fake_api: FakeAPIServer) -> None:
    ticks = iter(range(1_700_000_000, 1_700_000_100))
    fake_api.script("/flaky", [Reply(status=503, headers={"retry-after-ms": "1"}), Reply(json={"ok": True})])
    call(
        kind,
        lambda c: c.get("/flaky", cast_to=dict),
        base_url=fake_api.url,
        auth=HMACAuth(KEY_ID, SECRET, clock=lambda: float(next(ticks))),
    )
    first, second = fake_api.requests_to("/flaky")
    assert first.headers["x-signature-timestamp"] != second.headers["x-signature-timestamp"]
    assert first.headers["x-signature"] != second.headers["x-signature"]


def test_signature_headers_are_dropped_on_a_redirect_to_another_origin(kind: str, fake_api: FakeAPIServer) -> None:
    with FakeAPIServer() as other:
        target = other.url_for("/echo")
        call(
            kind,
            lambda c: c.get("/redirect", cast_to=dict, options=make_request_options(extra_query={"to": target})),
            base_url=fake_api.url,
            auth="hmac",
            container=hmac_container(),
        )
        (sent,) = fake_api.requests_to("/redirect")
        (received,) = other.requests_to("/echo")
    assert "x-signature" in sent.headers
    for name in ("x-signature", "x-key-id", "x-signature-timestamp", "x-content-sha256"):
        assert name not in received.headers


def test_the_secret_stays_out_of_logs(kind: str, fake_api: FakeAPIServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="genai_base")
    fake_api.script("/denied", Reply(status=401, json={"error": {"message": "no"}}))
    with pytest.raises(AuthenticationError):
        call(kind, lambda c: c.get("/denied", cast_to=dict), base_url=fake_api.url, auth="hmac",
             container=hmac_container())
    assert caplog.records
    assert SECRET not in caplog.text


# -- selection by name -------------------------------------------------------------------------


def _verified(container: ClientContainer, server: FakeAPIServer, **kwargs: Any) -> bool:
    with SyncAPIClient(version="1", base_url=server.url, container=container, **kwargs) as client:
        return bool(client.get("/hmac/verify", cast_to=dict)["verified"])


def test_selected_by_argument(fake_api: FakeAPIServer) -> None:
    assert _verified(hmac_container(), fake_api, auth="hmac")


def test_selected_by_environment(fake_api: FakeAPIServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GENAI_BASE_AUTH", "hmac")
    monkeypatch.setenv("GENAI_BASE_AUTH_OPTIONS__KEY_ID", KEY_ID)
    monkeypatch.setenv("GENAI_BASE_AUTH_OPTIONS__SECRET", SECRET)
    assert _verified(ClientContainer(), fake_api)


def test_selected_by_yaml_and_ini(fake_api: FakeAPIServer, tmp_path: Path) -> None:
    yaml_path = tmp_path / "c.yaml"
    yaml_path.write_text(f"auth: hmac\nauth_options:\n  key_id: {KEY_ID}\n  secret: {SECRET}\n")
    container = ClientContainer()
    container.config.from_yaml(str(yaml_path), required=True)
    assert _verified(container, fake_api)
    ini_path = tmp_path / "c.ini"
    ini_path.write_text(
        f"[genai_base]\nauth = genai-base-hmac:hmac\n\n[auth_options]\nkey_id = {KEY_ID}\nsecret = {SECRET}\n"
    )
    container = ClientContainer()
    container.config.from_ini(str(ini_path), required=True)
    assert _verified(container, fake_api)


def test_missing_options_name_the_plugin() -> None:
    container = ClientContainer()
    container.config.from_dict({"auth": "hmac", "auth_options": {"key_id": KEY_ID}})
    with pytest.raises(PluginLoadError, match=r"genai-base-hmac.*auth_options\.secret"):
        SyncAPIClient(version="1", base_url="http://127.0.0.1:9", container=container)
