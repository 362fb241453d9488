"""The ``genai-base`` command (serve, request, plugins, config), run as a real subprocess against the fake server.

The demo's tests are in test_cli_demo.py.
"""

from __future__ import annotations

import base64
import json
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from genai_base import _plugins
from genai_base.cli import main
from genai_base.cli._common import one_line
from genai_base.cli._config_cmd import redact
from genai_base.testing import FakeAPIServer, Reply

from .cli_support import SECRET, assert_one_error_line, cli
from .cli_support import clean_env as _clean_env
from .conftest import closed_port

# -- the command line ---------------------------------------------------------


@pytest.mark.parametrize("command", [[], ["demo"], ["serve"], ["plugins"], ["config"], ["request"]])
def test_help_for_every_command(command: list[str]) -> None:
    result = cli(*command, "--help")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"usage: genai-base {command[0] if command else ''}".rstrip())
    assert result.stderr == ""


def test_version() -> None:
    from genai_base import __version__

    result = cli("--version")
    assert (result.returncode, result.stdout.strip()) == (0, f"genai-base {__version__}")


R = "genai-base request"
LOCAL = "http://127.0.0.1:1/x"


@pytest.mark.parametrize(
    ("args", "prog", "says"),
    [
        ([], "genai-base", "choose a command"),
        (["nope"], "genai-base", "invalid choice: 'nope'"),
        (["plugins", "--bogus"], "genai-base plugins", "unrecognized arguments: --bogus"),
        (["request", "GET", LOCAL, "--bogus"], R, "unrecognized arguments: --bogus"),
        (["--bogus", "request", "GET", LOCAL], "genai-base", "unrecognized arguments: --bogus"),
        (["request"], R, "the following arguments are required: METHOD, URL"),
        (["request", "GET"], R, "the following arguments are required: URL"),
        (["request", "GET", "not-a-url"], R, "the URL must be absolute, like https://host/path: 'not-a-url'"),
        (["request", "GET", "localhost:8000/x"], R, "the URL must be absolute"),
        (["request", "GET", "ftp://example.com/x"], R, "unsupported URL scheme 'ftp' (use http:// or https://)"),
        (["request", "GET", "http://[::1"], R, "invalid URL (Invalid IPv6 URL): 'http://[::1'"),
        (["request", "GET", "http://h:99999/"], R, "invalid URL (Port out of range 0-65535)"),
        (["request", "GET", "http://h:0/"], R, "port 0 cannot be connected to"),
        (["request", "GET", "http:///x"], R, "the URL has no host: 'http:///x'"),
        (["request", "GET", "http://a b/"], R, "the URL contains a space or a control character"),
        (["request", "GET", f"ftp://me:{SECRET}@h/"], R, "unsupported URL scheme 'ftp' (use http:// or https://): "
                                                        "'ftp://me:<redacted>@h/'"),
        (["request", "GET", f"http://me:{SECRET}@h/", "-H", "Authorization: Bearer x"], R,
         "the URL has credentials and -H gives an Authorization header: use one of them"),
        (["request", "GET", LOCAL, "-H", "no colon here"], R, "a header is written 'Name: value'"),
        (["request", "G T", LOCAL], R, "METHOD must be a word like GET or POST"),
        (["request", "GET", LOCAL, "--max-retries", "-1"], R, "argument --max-retries: must be >= 0"),
        (["request", "GET", LOCAL, "--timeout", "soon"], R, "argument --timeout: expected a number of seconds"),
        (["request", "POST", LOCAL, "-d", "@/no/such/file.json"], R, "cannot read '/no/such/file.json'"),
        (["serve", "--port", "70000"], "genai-base serve", "argument --port: a port is 0 to 65535, got 70000"),
        (["config", "--file", "settings.toml"], "genai-base config", "settings.toml"),
    ],
)
def test_usage_errors_exit_2_saying_what_is_wrong(args: list[str], prog: str, says: str, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    if args and args[-1] == "settings.toml":
        (tmp_path / "settings.toml").write_text("x = 1\n")
        args = [*args[:-1], str(tmp_path / "settings.toml")]
    assert main(args) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert SECRET not in err
    *usage, line = err.strip().splitlines()
    assert line.startswith(f"{prog}: error: ") and line.endswith(f"(see '{prog} --help')"), line
    assert says in line
    # A mistake the parser finds comes after the usage of the command it is about (never the top level's
    # for a command's own option); the rest are the one line.
    if usage:
        assert usage[0].startswith(f"usage: {prog} "), err
        assert all(u.startswith(" ") for u in usage[1:]), err


def test_a_usage_error_in_a_real_process() -> None:
    result = cli("request", "GET", "ftp://example.com/x")
    assert result.returncode == 2 and result.stdout == ""
    assert "unsupported URL scheme 'ftp'" in assert_one_error_line(result.stderr)


def test_main_returns_exit_codes_in_process(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    assert main(["request"]) == 2
    assert main(["request", "GET", f"http://127.0.0.1:{closed_port()}/x", "--max-retries", "0"]) == 1
    err = capsys.readouterr().err
    assert err.count("genai-base request: error:") == 1
    assert "APIConnectionError" in err


# -- plugins --------------------------------------------------------------------


def test_plugins_json_matches_discover() -> None:
    result = cli("plugins", "--json")
    assert result.returncode == 0, result.stderr
    listing = json.loads(result.stdout)
    found = _plugins.discover()
    assert set(listing["groups"]) == set(found)
    for group, infos in found.items():
        expected = [(i.name, i.value, i.distribution, i.version, i.builtin) for i in infos]
        got = [(e["name"], e["value"], e["distribution"], e["version"], e["builtin"]) for e in listing["groups"][group]]
        assert got == expected, group
    selected = {(g, e["name"]) for g, entries in listing["groups"].items() for e in entries if e["selected"]}
    for default in [("serializers", "json"), ("retry_policies", "exponential"), ("paginators", "cursor"),
                    ("session_factories", "requests"), ("async_session_factories", "aiohttp"), ("hooks", "logging")]:
        assert default in selected
    assert not any(e["disabled"] for entries in listing["groups"].values() for e in entries)


def test_plugins_text_lists_groups_with_distribution_and_flags() -> None:
    from genai_base import __version__

    result = cli("plugins", env=_clean_env(GENAI_BASE_RETRY_POLICY="budgeted"))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for group in _plugins.GROUPS:
        assert f"{group} (entry-point group genai_base.{group})" in out
    assert re.search(rf"budgeted\s+genai-base {re.escape(__version__)}\s+built-in, selected", out)
    assert re.search(r"exponential\s+genai-base \S+\s+built-in\s+genai_base\._retry", out)


def test_plugins_marks_third_party_selected_and_disabled(tmp_path: Path) -> None:
    info = tmp_path / "acme_genai_plugins-2.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-genai-plugins\nVersion: 2.1\n")
    (info / "entry_points.txt").write_text(
        "[genai_base.serializers]\nacme_cbor = acme_genai:CBORSerializer\n"
        "[genai_base.hooks]\nacme_audit = acme_genai:AuditHook\n"
    )
    env = _clean_env(PYTHONPATH=str(tmp_path), GENAI_BASE_SERIALIZERS="acme_cbor",
                     GENAI_BASE_DISABLE_PLUGINS="hooks:acme_audit")
    result = cli("plugins", "--json", env=env)
    assert result.returncode == 0, result.stderr
    groups = json.loads(result.stdout)["groups"]
    cbor = next(e for e in groups["serializers"] if e["name"] == "acme_cbor")
    audit = next(e for e in groups["hooks"] if e["name"] == "acme_audit")
    assert cbor == {"name": "acme_cbor", "value": "acme_genai:CBORSerializer", "distribution": "acme-genai-plugins",
                    "version": "2.1", "builtin": False, "selected": True, "disabled": False}
    assert (audit["selected"], audit["disabled"], audit["builtin"]) == (False, True, False)
    text = cli("plugins", env=env).stdout
    assert re.search(r"acme_cbor\s+acme-genai-plugins 2\.1\s+selected\s+acme_genai:CBORSerializer", text)
    assert re.search(r"acme_audit\s+acme-genai-plugins 2\.1\s+disabled\s+acme_genai:AuditHook", text)
    assert "GENAI_BASE_DISABLE_PLUGINS: hooks:acme_audit" in text


@pytest.mark.parametrize("command", [["plugins"], ["plugins", "--json"], ["config"]])
def test_a_disable_entry_that_matches_nothing_is_reported_once(command: list[str]) -> None:
    result = cli(*command, env=_clean_env(GENAI_BASE_DISABLE_PLUGINS="msgpack, nosuch"))
    assert result.returncode == 0, result.stderr
    line = assert_one_error_line(result.stderr)
    assert line.startswith("genai-base: warning: GENAI_BASE_DISABLE_PLUGINS entry 'nosuch' matches no installed "
                           "plugin and is ignored"), line
    if command == ["plugins", "--json"]:
        listing = json.loads(result.stdout)
        assert listing["problems"] == [
            "GENAI_BASE_DISABLE_PLUGINS entry 'nosuch' matches no installed plugin and is ignored"]
        # The bare name disables that name in every group (here, the msgpack serializer if installed).
        msgpack = [e for e in listing["groups"]["serializers"] if e["name"] == "msgpack"]
        assert all(e["disabled"] for e in msgpack)


def test_plugins_warns_about_a_configured_plugin_that_is_missing() -> None:
    result = cli("plugins", env=_clean_env(GENAI_BASE_SERIALIZER="nosuch"))
    assert result.returncode == 0
    assert "nosuch" in assert_one_error_line(result.stderr)


# -- config ---------------------------------------------------------------------


def test_config_shows_values_and_sources_with_secrets_redacted() -> None:
    env = _clean_env(
        GENAI_BASE_MAX_RETRIES="2",
        GENAI_BASE_AUTH="bearer",
        GENAI_BASE_AUTH_OPTIONS__TOKEN=SECRET,
        GENAI_BASE_PROXIES=f"http://user:{SECRET}@proxy.internal:3128",
    )
    result = cli("config", env=env)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert SECRET not in out + result.stderr
    assert re.search(r"^max_retries\s+2\s+environment \(GENAI_BASE_MAX_RETRIES\)$", out, re.M)
    assert re.search(r"^pool_size\s+100\s+default$", out, re.M)
    assert re.search(r"^auth\s+bearer\s+environment", out, re.M)
    assert re.search(r"^auth_options\s+.*<redacted>.*environment", out, re.M)
    assert "proxy.internal:3128" in out and "<redacted>@proxy.internal" in out
    assert re.search(r"^  auth\s+bearer from genai-base", out, re.M)

    as_json = cli("config", "--json", env=env)
    assert as_json.returncode == 0
    assert SECRET not in as_json.stdout
    data = json.loads(as_json.stdout)
    assert data["settings"]["max_retries"] == {"value": 2, "source": "environment (GENAI_BASE_MAX_RETRIES)"}
    assert data["settings"]["serializer"] == {"value": "json", "source": "default"}


def test_config_reads_a_file_and_names_it_as_the_source(tmp_path: Path) -> None:
    path = tmp_path / "genai.json"
    path.write_text(json.dumps({"max_retries": 7, "serializer": "json"}))
    result = cli("config", "--json", "--file", str(path))
    assert result.returncode == 0, result.stderr
    settings = json.loads(result.stdout)["settings"]
    assert settings["max_retries"] == {"value": 7, "source": f"file {path}"}


def test_config_invalid_value_exits_1_with_one_line() -> None:
    result = cli("config", env=_clean_env(GENAI_BASE_MAX_RETRIES="lots"))
    assert result.returncode == 1
    line = assert_one_error_line(result.stderr)
    assert "max_retries" in line and "GENAI_BASE_MAX_RETRIES" in line


def test_config_unknown_plugin_exits_1_and_unknown_variable_warns() -> None:
    result = cli("config", env=_clean_env(GENAI_BASE_SERIALIZER="nosuch", GENAI_BASE_MAX_RETRYS="3"))
    assert result.returncode == 1
    assert "GENAI_BASE_MAX_RETRYS is not a genai_base setting" in result.stderr
    assert re.search(r"error: .*nosuch", result.stderr)
    assert re.search(r"^  serializer\s+nosuch: not usable", result.stdout, re.M)


def test_redact_keeps_names_and_hides_credentials() -> None:
    assert redact("auth_options", {"token": SECRET, "header": "x-api-key"}) == {
        "token": "<redacted>",
        "header": "x-api-key",
    }
    assert redact("proxies", {"https": f"http://u:{SECRET}@p:1"}) == {"https": "http://<redacted>@p:1"}
    assert redact("auth", "bearer") == "bearer"
    assert redact("auth", object()) == "<object object>"
    assert redact("max_retries", 3) == 3


# -- request --------------------------------------------------------------------


def test_request_get_prints_the_echo(fake_api: FakeAPIServer) -> None:
    result = cli("request", "GET", fake_api.url + "/echo?x=1", "-H", "X-Demo: yes")
    assert result.returncode == 0, result.stderr
    echo = json.loads(result.stdout)
    assert (echo["method"], echo["path"], echo["query"]) == ("GET", "/echo", {"x": ["1"]})
    assert echo["headers"]["x-demo"] == "yes"
    assert echo["headers"]["user-agent"].startswith("SyncAPIClient/Python ")
    assert result.stdout.startswith('{\n  "method": "GET",')  # pretty-printed


def test_request_post_json_text_and_stdin_bodies(fake_api: FakeAPIServer) -> None:
    as_json = json.loads(cli("request", "post", fake_api.url + "/echo", "-d", '{"a": [1, 2]}').stdout)
    assert (as_json["method"], as_json["json"]) == ("POST", {"a": [1, 2]})
    assert as_json["content_type"].startswith("application/json")
    as_text = json.loads(cli("request", "PUT", fake_api.url + "/echo", "-d", "hello there").stdout)
    assert (as_text["body"], as_text["content_type"]) == ("hello there", "text/plain; charset=utf-8")
    from_stdin = json.loads(cli("request", "PATCH", fake_api.url + "/echo", "-d", "@-", stdin='{"b": true}').stdout)
    assert from_stdin["json"] == {"b": True}


def test_request_include_prints_status_and_headers(fake_api: FakeAPIServer) -> None:
    result = cli("request", "GET", fake_api.url + "/echo", "-i")
    assert result.returncode == 0
    head, _, body = result.stdout.partition("\n\n")
    assert head.splitlines()[0] == "HTTP 200"
    assert re.search(r"^x-request-id: req_\d+$", head, re.M | re.I)
    assert json.loads(body)["method"] == "GET"


def test_request_empty_body_prints_nothing(fake_api: FakeAPIServer) -> None:
    result = cli("request", "DELETE", fake_api.url + "/status/204")
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def _attempts_line(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if " failed (" in line]


def test_request_retries_once_by_default_with_one_line_per_retry(fake_api: FakeAPIServer) -> None:
    fake_api.script("/flaky", [Reply(status=503, headers={"retry-after-ms": "10"}), Reply(json={"ok": True})])
    result = cli("request", "GET", fake_api.url + "/flaky")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"ok": True}
    assert result.stderr == "genai-base: attempt 1 of 2 failed (status 503); retrying in 0.01 s\n"
    assert len(fake_api.requests_to("/flaky")) == 2

    fake_api.clear()
    fake_api.script("/down", Reply(status=503, headers={"retry-after-ms": "1"}, json={"error": {"message": "busy"}}))
    once = cli("request", "GET", fake_api.url + "/down")
    assert once.returncode == 1
    assert len(fake_api.requests_to("/down")) == 2  # the first attempt and one retry
    *retries, error = once.stderr.strip().splitlines()
    assert retries == ["genai-base: attempt 1 of 2 failed (status 503); retrying in 0.00 s"]
    assert error == (f'genai-base: error: InternalServerError: 503 (GET {fake_api.url}/down): '
                     '{"error":{"message":"busy"}}')


@pytest.mark.parametrize(("how", "attempts"), [("option", 4), ("environment", 3), ("option 0", 1)])
def test_request_max_retries_from_the_option_or_the_configuration(fake_api: FakeAPIServer, how: str,
                                                                  attempts: int) -> None:
    fake_api.script("/down", Reply(status=503, headers={"retry-after-ms": "1"}))
    url = fake_api.url + "/down"
    if how == "option":
        result = cli("request", "GET", url, "--max-retries", "3", env=_clean_env(GENAI_BASE_MAX_RETRIES="2"))
    elif how == "environment":
        result = cli("request", "GET", url, env=_clean_env(GENAI_BASE_MAX_RETRIES="2"))
    else:
        result = cli("request", "GET", url, "--max-retries", "0")
    assert result.returncode == 1
    assert len(fake_api.requests_to("/down")) == attempts
    lines = _attempts_line(result.stderr)
    assert lines == [f"genai-base: attempt {n} of {attempts} failed (status 503); retrying in 0.00 s"
                     for n in range(1, attempts)]


def test_request_says_the_library_error_and_nothing_else(fake_api: FakeAPIServer) -> None:
    from genai_base import APIConnectionError, SyncAPIClient

    url = f"http://127.0.0.1:{closed_port()}/echo"
    with SyncAPIClient(version="1", base_url=url.rsplit("/", 1)[0], max_retries=0) as client:
        with pytest.raises(APIConnectionError) as caught:
            client.get("/echo", cast_to=object)
    library_says = one_line(str(caught.value))  # the CLI keeps errors on one line, nothing else
    started = time.monotonic()
    result = cli("request", "GET", url)
    elapsed = time.monotonic() - started
    assert result.returncode == 1 and result.stdout == ""
    *retries, error = result.stderr.strip().splitlines()
    assert error == f"genai-base: error: APIConnectionError: {library_says}"
    assert len(retries) == 1, result.stderr
    assert retries[0].startswith(f"genai-base: attempt 1 of 2 failed ({library_says}); retrying in ")
    assert elapsed < 10, f"a refused connection took {elapsed:.1f} s to report"


def test_request_help_says_the_interactive_default() -> None:
    text = " ".join(cli("request", "--help").stdout.split())
    assert "--max-retries N retries after the first attempt (default: 1 for interactive use, unless the " \
           "configuration sets max_retries)" in text
    assert "basic auth" in text


def test_request_credentials_in_the_url_become_basic_auth(fake_api: FakeAPIServer) -> None:
    url = fake_api.url.replace("://", f"://me%40example.com:{SECRET}@") + "/echo?x=1"
    result = cli("request", "GET", url, "--debug")
    assert result.returncode == 0, result.stderr
    echo = json.loads(result.stdout)
    expected = base64.b64encode(f"me@example.com:{SECRET}".encode()).decode()
    assert echo["headers"]["authorization"] == f"Basic {expected}"
    assert echo["headers"]["host"] == fake_api.url.split("://")[1]  # the userinfo is out of the URL
    assert (echo["path"], echo["query"]) == ("/echo", {"x": ["1"]})
    assert SECRET not in result.stderr and expected not in result.stderr
    assert "genai-base: debug: attempt 1: GET " in result.stderr  # attempts counted from 1

    # A 404 error line shows the URL without the credentials.
    failed = cli("request", "GET", url.replace("/echo", "/status/404"))
    assert failed.returncode == 1
    assert SECRET not in failed.stderr and "me%40" not in failed.stderr


def test_request_stream_prints_events_as_they_arrive(fake_api: FakeAPIServer) -> None:
    result = cli("request", "GET", fake_api.url + "/sse?count=3", "--stream")
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines()]
    assert events == [{"index": i, "text": f"event {i}"} for i in range(3)]


def test_request_stream_of_a_response_that_is_not_an_event_stream_prints_its_body(fake_api: FakeAPIServer) -> None:
    result = cli("request", "GET", fake_api.url + "/echo?x=1", "--stream", "-i")
    assert result.returncode == 0, result.stderr
    head, _, body = result.stdout.partition("\n\n")
    assert head.splitlines()[0] == "HTTP 200"
    assert json.loads(body)["query"] == {"x": ["1"]}
    fake_api.script("/text", Reply(body=b"plain words", content_type="text/plain"))
    text = cli("request", "GET", fake_api.url + "/text", "--stream")
    assert (text.returncode, text.stdout) == (0, "plain words\n")


def test_request_error_status_exits_1_with_one_line(fake_api: FakeAPIServer) -> None:
    result = cli("request", "GET", fake_api.url + "/status/404")
    assert result.returncode == 1
    line = assert_one_error_line(result.stderr)
    assert line == (f"genai-base: error: NotFoundError: 404 (GET {fake_api.url}/status/404): "
                    '{"error":{"message":"status 404","code":404}}')  # the body as JSON, not a dict repr
    assert result.stdout == ""


@pytest.mark.parametrize("how", ["option", "environment"])
def test_request_to_a_refused_port_exits_1_with_one_line(how: str) -> None:
    url = f"http://127.0.0.1:{closed_port()}/echo"
    if how == "option":
        result = cli("request", "GET", url, "--max-retries", "0")
    else:
        result = cli("request", "GET", url, env=_clean_env(GENAI_BASE_MAX_RETRIES="0"))
    assert result.returncode == 1
    line = assert_one_error_line(result.stderr)
    assert line.startswith("genai-base: error: APIConnectionError:")
    assert result.stdout == ""


def test_debug_adds_the_traceback() -> None:
    url = f"http://127.0.0.1:{closed_port()}/echo"
    result = cli("request", "GET", url, "--max-retries", "0", "--debug")
    assert result.returncode == 1
    assert "Traceback (most recent call last)" in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("genai-base: error: APIConnectionError:")


# -- serve ----------------------------------------------------------------------


def _start_serving(*args: str) -> tuple[subprocess.Popen[str], str, list[str]]:
    """``genai-base serve ARGS`` as a real process; returns it, its URL and what it printed up to "Ctrl-C"."""
    process = subprocess.Popen(
        [sys.executable, "-m", "genai_base.cli", "serve", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_clean_env(COLUMNS="200"),
    )
    assert process.stdout is not None
    lines: list[str] = []
    for line in process.stdout:  # the process flushes each part as it goes
        lines.append(line.rstrip("\n"))
        if "Ctrl-C" in line:
            break
    match = re.search(r"listening on (http://\S+)$", lines[0]) if lines else None
    assert match, (lines, process.stderr.read() if process.poll() is not None and process.stderr else "")
    return process, match.group(1), lines


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_serve_runs_the_fake_server_until_interrupted(sig: signal.Signals) -> None:
    process, url, printed = _start_serving("--port", "0")
    try:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", url)
        routes = [line.split()[0] for line in printed if line.startswith("  /")]
        for route in ("/echo", r"/status/{code}", "/items/cursor", "/sse", "/redirect"):
            assert route in routes, printed
        echo_line = next(line.split() for line in printed if line.startswith("  /echo "))
        assert " ".join(echo_line) == "/echo any Answer with a JSON description of the request."
        sse_line = next(line.split() for line in printed if line.startswith("  /sse "))
        assert sse_line[:3] == ["/sse", "GET,", "POST"]
        echo = requests.post(url + "/echo?x=1", json={"a": 1}, timeout=10).json()
        assert (echo["method"], echo["query"], echo["json"]) == ("POST", {"x": ["1"]}, {"a": 1})
        assert requests.get(url + "/items/cursor?total=3", timeout=10).json()["data"][2]["index"] == 2
    finally:
        process.send_signal(sig)
        out, err = process.communicate(timeout=20)
    assert process.returncode == 0, err
    assert out.strip().endswith("genai-base serve: stopped")
    assert err == ""
    with pytest.raises(requests.ConnectionError):
        requests.get(url + "/echo", timeout=5)


def test_serve_on_a_port_in_use_exits_1_with_one_line() -> None:
    with FakeAPIServer() as taken:
        port = taken.port
        result = cli("serve", "--port", str(port), timeout=30)
    assert result.returncode == 1
    line = assert_one_error_line(result.stderr)
    assert line == f"genai-base: error: cannot listen on 127.0.0.1:{port}: address already in use", line
    assert "Traceback" not in result.stdout
