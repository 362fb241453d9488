"""Auth on both clients: API keys, bearer tokens and their refresh after a 401, and credentials kept secret."""

from __future__ import annotations

import logging
import os
from typing import Any, Iterator

import pytest

from genai_base import (
    APIConnectionError,
    APIKeyAuth,
    AuthenticationError,
    BearerAuth,
    ClientContainer,
    PluginLoadError,
    make_request_options,
)
from genai_base._redact import redact_error, redact_text
from genai_base.testing import FakeAPIServer, Reply

from .conftest import Shell, closed_port

SECRET = "sk-live-0123456789"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("GENAI_BASE_"):
            monkeypatch.delenv(name)


@pytest.fixture(scope="module")
def other_server() -> Iterator[FakeAPIServer]:
    """A second server: another origin (another port) for redirects."""
    with FakeAPIServer() as server:
        yield server


@pytest.fixture
def other(other_server: FakeAPIServer) -> Iterator[FakeAPIServer]:
    other_server.clear()
    yield other_server
    other_server.clear()


def configured(**config: Any) -> ClientContainer:
    container = ClientContainer()
    container.config.from_dict(config)
    return container


# -- API keys ------------------------------------------------------------------------------------


def test_api_key_in_the_default_header(shell: Shell) -> None:
    echo = shell.run(shell.client(auth=APIKeyAuth(SECRET)).get("/echo", cast_to=dict))
    assert echo["headers"]["x-api-key"] == SECRET


def test_api_key_in_a_named_header(shell: Shell) -> None:
    echo = shell.run(shell.client(auth=APIKeyAuth(SECRET, header="X-Goog-Api-Key")).get("/echo", cast_to=dict))
    assert echo["headers"]["x-goog-api-key"] == SECRET
    assert "x-api-key" not in echo["headers"]


def test_api_key_in_a_query_param(shell: Shell) -> None:
    made = shell.client(auth=APIKeyAuth(SECRET, query_param="key"))
    echo = shell.run(made.get("/echo?a=1", cast_to=dict, options=make_request_options(extra_query={"b": 2})))
    assert echo["query"] == {"a": ["1"], "b": ["2"], "key": [SECRET]}
    assert "x-api-key" not in echo["headers"]


def test_api_key_by_name_from_configuration(shell: Shell, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GENAI_BASE_AUTH", "api_key")
    monkeypatch.setenv("GENAI_BASE_AUTH_OPTIONS__KEY", SECRET)
    monkeypatch.setenv("GENAI_BASE_AUTH_OPTIONS__QUERY_PARAM", "api_key")
    echo = shell.run(shell.client().get("/echo", cast_to=dict))
    assert echo["query"] == {"api_key": [SECRET]}


def test_api_key_needs_a_key() -> None:
    with pytest.raises(ValueError):
        APIKeyAuth("")
    container = configured(auth="api_key", auth_options={"header": "x-key"})
    with pytest.raises(PluginLoadError, match=r"auth:api_key.*genai-base.*auth_options.key"):
        from genai_base import SyncAPIClient

        SyncAPIClient(version="1", base_url="http://127.0.0.1:9", container=container)


# -- bearer tokens ---------------------------------------------------------------------------------


def test_static_bearer_token(shell: Shell) -> None:
    echo = shell.run(shell.client(auth=BearerAuth(SECRET)).get("/echo", cast_to=dict))
    assert echo["headers"]["authorization"] == f"Bearer {SECRET}"


def test_bearer_by_name_with_a_token_from_configuration(shell: Shell) -> None:
    made = shell.client(auth="bearer", container=configured(auth_options={"token": SECRET}))
    echo = shell.run(made.get("/echo", cast_to=dict))
    assert echo["headers"]["authorization"] == f"Bearer {SECRET}"


class Tokens:
    """A token provider that hands out tok-1, tok-2, ... and counts its calls."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        return f"tok-{self.calls}"


class AsyncTokens(Tokens):
    async def __call__(self) -> str:  # type: ignore[override]
        return Tokens.__call__(self)


def _provider_for(shell: Shell) -> Tokens:
    return AsyncTokens() if shell.is_async else Tokens()


def test_the_provider_is_called_again_after_a_401_once(shell: Shell) -> None:
    tokens = _provider_for(shell)
    shell.server.script("/secure", [Reply(status=401, json={"error": {"message": "expired"}}), Reply(json={"ok": 1})])
    made = shell.client(auth=BearerAuth(token_provider=tokens))
    assert shell.run(made.get("/secure", cast_to=dict)) == {"ok": 1}
    sent = [r.headers["authorization"] for r in shell.server.requests_to("/secure")]
    assert sent == ["Bearer tok-1", "Bearer tok-2"]
    assert tokens.calls == 2
    # The refreshed token is kept for the next call.
    shell.run(made.get("/secure", cast_to=dict))
    assert shell.server.requests_to("/secure")[-1].headers["authorization"] == "Bearer tok-2"
    assert tokens.calls == 2


def test_a_second_401_is_raised(shell: Shell) -> None:
    tokens = _provider_for(shell)
    shell.server.script("/secure", Reply(status=401, json={"error": {"message": "no"}}))
    made = shell.client(auth=BearerAuth(token_provider=tokens))
    with pytest.raises(AuthenticationError) as info:
        shell.run(made.get("/secure", cast_to=dict))
    assert info.value.status_code == 401
    assert tokens.calls == 2
    assert [r.headers["authorization"] for r in shell.server.requests_to("/secure")] == ["Bearer tok-1", "Bearer tok-2"]


def test_a_static_token_is_not_resent_after_a_401(shell: Shell) -> None:
    shell.server.script("/secure", Reply(status=401))
    with pytest.raises(AuthenticationError):
        shell.run(shell.client(auth=BearerAuth("static")).get("/secure", cast_to=dict))
    assert len(shell.server.requests_to("/secure")) == 1


def test_every_retry_is_signed(shell: Shell) -> None:
    shell.server.script("/flaky", [Reply(status=503, headers={"retry-after-ms": "1"}), Reply(json={})])
    shell.run(shell.client(auth=BearerAuth(SECRET)).get("/flaky", cast_to=dict))
    assert [r.headers["authorization"] for r in shell.server.requests_to("/flaky")] == [f"Bearer {SECRET}"] * 2


def test_an_async_provider_needs_the_async_client(fake_api: FakeAPIServer) -> None:
    from genai_base import SyncAPIClient

    with SyncAPIClient(version="1", base_url=fake_api.url, auth=BearerAuth(token_provider=AsyncTokens())) as made:
        with pytest.raises(TypeError, match="async client"):
            made.get("/echo", cast_to=dict)


def test_bearer_takes_a_token_or_a_provider() -> None:
    with pytest.raises(ValueError):
        BearerAuth()
    with pytest.raises(ValueError):
        BearerAuth("t", token_provider=lambda: "u")


# -- redirects -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "auth, where",
    [
        (BearerAuth(SECRET), "authorization"),
        (APIKeyAuth(SECRET), "x-api-key"),
        (APIKeyAuth(SECRET, header="X-Custom-Key"), "x-custom-key"),
        (APIKeyAuth(SECRET, query_param="key"), "query"),
    ],
)
def test_credentials_are_dropped_on_a_redirect_to_another_origin(
    shell: Shell, other: FakeAPIServer, auth: Any, where: str
) -> None:
    made = shell.client(auth=auth, custom_headers={"Cookie": "session=abc"})
    target = other.url_for("/echo?keep=1")
    echo = shell.run(made.get("/redirect", cast_to=dict, options=make_request_options(extra_query={"to": target})))
    assert echo["path"] == "/echo"
    (first,) = shell.server.requests_to("/redirect")
    (received,) = other.requests_to("/echo")
    if where == "query":
        assert first.query_dict()["key"] == [SECRET]
    else:
        assert first.headers[where] == (f"Bearer {SECRET}" if where == "authorization" else SECRET)
    assert received.query_dict() == {"keep": ["1"]}
    assert SECRET not in str(received.headers) and SECRET not in received.url
    assert "cookie" not in received.headers


def test_credentials_are_kept_on_a_same_origin_redirect(shell: Shell) -> None:
    made = shell.client(auth=BearerAuth(SECRET))
    echo = shell.run(made.get("/redirect", cast_to=dict, options=make_request_options(extra_query={"to": "/echo"})))
    assert echo["headers"]["authorization"] == f"Bearer {SECRET}"


# -- never shown -------------------------------------------------------------------------------------


class Recorder:
    def __init__(self) -> None:
        self.events: list[Any] = []

    def on_request(self, event: Any) -> None:
        self.events.append(event)

    on_response = on_retry = on_error = on_request


def test_credentials_stay_out_of_reprs_logs_hooks_and_errors(shell: Shell, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="genai_base")
    recorder = Recorder()
    container = ClientContainer()
    container.hooks.override(["logging", recorder])
    made = shell.client(auth=BearerAuth(SECRET), container=container,
                        custom_headers={"X-Api-Key": SECRET})
    shell.server.script("/flaky", [Reply(status=503, headers={"retry-after-ms": "1"}),
                                   Reply(status=401, json={"error": {"message": "denied"}})])
    with pytest.raises(AuthenticationError) as info:
        shell.run(made.get("/flaky?token=" + SECRET, cast_to=dict))
    assert recorder.events and caplog.records
    for text in (repr(made), repr(made._auth), caplog.text, repr(recorder.events), str(info.value),
                 repr(info.value.request)):
        assert SECRET not in text


def test_query_key_is_redacted_from_messages() -> None:
    auth = APIKeyAuth(SECRET, query_param="code")
    text = f"Max retries exceeded with url: /x?code={SECRET}&a=1 (Caused by ...) /y?key={SECRET}"
    assert SECRET not in redact_text(text, auth.sensitive_query_params)
    assert "a=1" in redact_text(text, auth.sensitive_query_params)
    error = APIConnectionError(f"connection error: {text}")
    redact_error(error, auth.sensitive_query_params)
    assert SECRET not in str(error) and SECRET not in error.message




def test_query_key_stays_out_of_connection_errors(shell: Shell) -> None:
    made = shell.client(base_url=f"http://127.0.0.1:{closed_port()}", max_retries=0,
                        auth=APIKeyAuth(SECRET, query_param="key"))
    with pytest.raises(APIConnectionError) as info:
        shell.run(made.get("/x", cast_to=dict))
    assert SECRET not in str(info.value)


# -- sign-only components --------------------------------------------------------------------------


class SignsOnly:
    """A third-party component whose flow only signs: its ``signer`` is the whole flow."""

    sensitive_headers = frozenset({"x-signed"})
    sensitive_query_params: frozenset[str] = frozenset()

    def __init__(self) -> None:
        self.signed = 0
        self.signer = self.sign

    def sign(self, request: Any) -> Any:
        self.signed += 1
        return request.with_headers(**{"X-Signed": f"sig-{self.signed}"})

    def auth_flow(self, request: Any) -> Any:
        raise AssertionError("a component with a signer is not run as a flow")
        yield request  # pragma: no cover

    async def async_auth_flow(self, request: Any) -> Any:
        raise AssertionError("a component with a signer is not run as a flow")
        yield request  # pragma: no cover


def test_a_signer_signs_every_attempt_in_place_of_the_flow(shell: Shell) -> None:
    auth = SignsOnly()
    shell.server.script("/flaky", [Reply(status=503, headers={"retry-after-ms": "1"}), Reply(json={"ok": 1})])
    client = shell.client(auth=auth, max_retries=1)
    assert shell.run(client.get("/flaky", cast_to=dict)) == {"ok": 1}
    sent = [request.headers.get("x-signed") for request in shell.server.requests if request.path == "/flaky"]
    assert sent == ["sig-1", "sig-2"]
    # A per-call header still beats the component's.
    echo = shell.run(client.get("/echo", cast_to=dict, options={"headers": {"X-Signed": "mine"}}))
    assert echo["headers"]["x-signed"] == "mine"


def test_the_built_ins_sign_without_a_flow_only_when_they_never_read_the_response() -> None:
    assert BearerAuth(SECRET).signer is not None
    assert BearerAuth(token_provider=lambda: SECRET).signer is None  # it refreshes after a 401
    assert APIKeyAuth(SECRET).signer is not None
    assert APIKeyAuth(SECRET, query_param="key").signer is not None


def test_a_signer_that_is_not_callable_is_refused(shell: Shell) -> None:
    auth = SignsOnly()
    auth.signer = "not callable"  # type: ignore[assignment]
    with pytest.raises(TypeError, match="signer must be callable"):
        shell.run(shell.client(auth=auth).get("/echo", cast_to=dict))


def test_a_token_with_a_line_break_is_refused_and_never_shown(shell: Shell) -> None:
    client = shell.client(auth=BearerAuth("sk-a\r\nX-Injected: 1"), max_retries=0)
    for _ in range(2):  # the signed template is checked each time until it passes
        with pytest.raises(ValueError, match="'Authorization' has a CR, LF or NUL") as caught:
            shell.run(client.get("/echo", cast_to=dict))
        assert "sk-a" not in str(caught.value)
    assert not [request for request in shell.server.requests if request.path == "/echo"]
