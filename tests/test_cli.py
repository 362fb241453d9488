"""The ``genai-base`` command, run as a real subprocess against the fake server."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any, Optional

import pytest

from genai_base import _plugins
from genai_base.cli import main
from genai_base.cli._common import Progress, missing_feature
from genai_base.cli._config_cmd import redact
from genai_base.cli._demo import SECTIONS
from genai_base.testing import FakeAPIServer, Reply

from .conftest import closed_port

SECRET = "sk-live-0123456789abcdef"


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GENAI_BASE_")}
    env.update(extra)
    return env


def cli(*args: str, env: Optional[dict[str, str]] = None, timeout: float = 60, stdin: str = "") -> Any:
    """Run ``python -m genai_base.cli ARGS`` and return the completed process (text output)."""
    return subprocess.run(
        [sys.executable, "-m", "genai_base.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env if env is not None else _clean_env(),
        input=stdin,
    )


def assert_one_error_line(stderr: str) -> str:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    assert lines[0].startswith("genai-base")
    return lines[0]




# -- the command line ---------------------------------------------------------


@pytest.mark.parametrize("command", [[], ["demo"], ["plugins"], ["config"], ["request"]])
def test_help_for_every_command(command: list[str]) -> None:
    result = cli(*command, "--help")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"usage: genai-base {command[0] if command else ''}".rstrip())
    assert result.stderr == ""


def test_version() -> None:
    from genai_base import __version__

    result = cli("--version")
    assert (result.returncode, result.stdout.strip()) == (0, f"genai-base {__version__}")


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["nope"],
        ["plugins", "--bogus"],
        ["request"],
        ["request", "GET"],
        ["request", "GET", "not-a-url"],
        ["request", "GET", "ftp://example.com/x"],
        ["request", "GET", "http://127.0.0.1:1/x", "-H", "no colon here"],
        ["request", "G T", "http://127.0.0.1:1/x"],
        ["request", "GET", "http://127.0.0.1:1/x", "--max-retries", "-1"],
        ["request", "GET", "http://127.0.0.1:1/x", "--timeout", "soon"],
        ["request", "POST", "http://127.0.0.1:1/x", "-d", "@/no/such/file.json"],
        ["config", "--file", "settings.toml"],
    ],
)
def test_usage_errors_exit_2_with_one_line(args: list[str], tmp_path: Path) -> None:
    if args and args[-1] == "settings.toml":
        (tmp_path / "settings.toml").write_text("x = 1\n")
        args = [*args[:-1], str(tmp_path / "settings.toml")]
    result = cli(*args)
    assert result.returncode == 2, (result.stdout, result.stderr)
    line = assert_one_error_line(result.stderr)
    assert "error:" in line
    assert result.stdout == ""


def test_main_returns_exit_codes_in_process(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    assert main(["request"]) == 2
    assert main(["request", "GET", f"http://127.0.0.1:{closed_port()}/x", "--max-retries", "0"]) == 1
    err = capsys.readouterr().err
    assert err.count("genai-base request: error:") == 1
    assert "APIConnectionError" in err


# -- demo -----------------------------------------------------------------------


def _check_demo_output(out: str) -> None:
    assert "embedded fake API server at http://127.0.0.1:" in out
    assert "== sync: SyncAPIClient on requests ==" in out
    assert "== async: AsyncAPIClient on aiohttp ==" in out
    for number, title in enumerate(SECTIONS, 1):
        assert out.count(f"[{number}/{len(SECTIONS)}] {title}") == 2, title
    assert "FAILED" not in out
    # The plain call and the retried one, with each attempt and its wait.
    assert out.count("the server saw GET /echo") == 2
    assert out.count("attempt 1: 503") == 2
    assert out.count("the server sent retry-after-ms: 50") == 2
    assert out.count("waiting 0.050 s before retry 1: as the server asked") == 2
    assert out.count("attempt 2: 503") == 2
    assert len(re.findall(r"waiting 0\.[0-9]{3} s before retry 2: exponential backoff", out)) == 2
    assert out.count("attempt 3: 200") == 2
    assert out.count('200 after 2 retries: {"ok":true,"answer":42}') == 2
    summary = out.strip().splitlines()
    summary_line = next(line for line in summary if line.startswith("Summary:"))
    assert "4 retries" in summary_line


def test_demo_shows_every_section_sync_and_async() -> None:
    started = time.monotonic()
    result = cli("demo")
    elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stderr == ""
    out = result.stdout
    _check_demo_output(out)
    assert elapsed < 20, f"the demo took {elapsed:.1f} s"
    summary = next(line for line in out.splitlines() if line.startswith("Summary:"))
    if missing_feature("streaming") is None:
        for index in range(5):
            assert out.count(f'{{"index":{index},"text":"event {index}"}}') == 2
        assert "10 events" in summary
    else:
        assert out.count("not available yet: streaming") == 2
    if missing_feature("pagination") is None:
        assert out.count("items [##############################] 300/300") == 2
        assert out.count("300 items in 6 pages") == 2
        assert "600 items" in summary
    else:
        assert out.count("not available yet: pagination") == 2
    offered = [info for info in _plugins.discover()["serializers"] if info.name == "msgpack"]
    if not offered:
        assert out.count("not installed: no distribution offers a 'msgpack' serializer") == 2
    else:  # e.g. plugins/genai-base-msgpack
        assert out.count(f"serializer 'msgpack' is {offered[0].value} from {offered[0].distribution}") == 2
        assert out.count("the plugin decodes the bytes back to the same data") == 2


def test_demo_ignores_configuration_from_the_environment() -> None:
    result = cli("demo", env=_clean_env(GENAI_BASE_MAX_RETRIES="0", GENAI_BASE_RETRY_POLICY="none"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Ignoring GENAI_BASE_MAX_RETRIES, GENAI_BASE_RETRY_POLICY" in result.stdout
    _check_demo_output(result.stdout)


def _write_msgpack_plugin(root: Path) -> None:
    """A real (if tiny) third-party distribution offering the 'msgpack' serializer."""
    (root / "demo_msgpack_plugin.py").write_text(
        textwrap.dedent(
            """
            import msgpack

            class MsgpackSerializer:
                media_types = ("application/msgpack",)

                def dumps(self, data):
                    return msgpack.packb(data, use_bin_type=True)

                def loads(self, raw):
                    return msgpack.unpackb(raw, raw=False)
            """
        )
    )
    info = root / "demo_msgpack_plugin-0.3.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: demo-msgpack-plugin\nVersion: 0.3\n")
    (info / "entry_points.txt").write_text(
        "[genai_base.serializers]\nmsgpack = demo_msgpack_plugin:MsgpackSerializer\n"
    )


def test_demo_uses_the_msgpack_serializer_chosen_by_name(tmp_path: Path) -> None:
    import msgpack  # noqa: F401  # installed with plugins/genai-base-msgpack (the README's test command)
    _write_msgpack_plugin(tmp_path)
    env = _clean_env()
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(tmp_path), env.get("PYTHONPATH")]))
    result = cli("demo", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    if any(info.name == "msgpack" for info in _plugins.discover()["serializers"]):
        # A real distribution offers it too: the demo picks one explicitly as distribution:name.
        assert out.count("choosing 'demo-msgpack-plugin:msgpack'") == 2
    shown = "serializer 'msgpack' is demo_msgpack_plugin:MsgpackSerializer from demo-msgpack-plugin 0.3"
    assert out.count(shown) == 2
    assert out.count("bytes of application/msgpack") == 2
    assert out.count("the plugin decodes the bytes back to the same data") == 2

    disabled = cli("demo", env={**env, "GENAI_BASE_DISABLE_PLUGINS": "*"})
    assert disabled.returncode == 0
    assert disabled.stdout.count("installed but disabled by GENAI_BASE_DISABLE_PLUGINS") == 2


def _run_on_a_terminal(args: list[str]) -> tuple[int, str]:
    import pty
    import select

    master, slave = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "genai_base.cli", *args], stdout=slave, stderr=slave, env=_clean_env()
    )
    os.close(slave)
    chunks: list[bytes] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.5)
        if ready:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        elif process.poll() is not None:
            break
    os.close(master)
    return process.wait(10), b"".join(chunks).decode("utf-8", errors="replace")


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_demo_progress_is_redrawn_in_place_on_a_terminal() -> None:
    if missing_feature("pagination") is not None:
        pytest.skip("pagination has not landed")
    code, out = _run_on_a_terminal(["demo"])
    assert code == 0, out
    redraws = re.findall(r"\r  items \[[#.]+\] \d+/300", out)
    assert redraws, out
    assert "\r  items [##############################] 300/300" in out


def test_progress_plain_lines_when_not_a_terminal() -> None:
    out = io.StringIO()
    progress = Progress(out, "items", 300, tty=False, step=100)
    for count in range(1, 301):
        progress.update(count)
    progress.finish("done")
    lines = out.getvalue().splitlines()
    assert "\r" not in out.getvalue()
    assert [line.split("] ")[1] for line in lines] == ["100/300", "200/300", "300/300", "300/300  done"]


def test_progress_redraws_one_line_on_a_terminal() -> None:
    out = io.StringIO()
    progress = Progress(out, "items", 4, tty=True, interval=0)
    for count in range(1, 5):
        progress.update(count, f"page {count}")
    progress.finish()
    text = out.getvalue()
    assert text.count("\r") == 5 and text.endswith("\n") and text.count("\n") == 1
    assert "\ritems [" + "#" * 30 + "] 4/4  page 4" in text


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


def test_request_retries_as_configured(fake_api: FakeAPIServer) -> None:
    fake_api.script("/flaky", [Reply(status=503, headers={"retry-after-ms": "10"}), Reply(json={"ok": True})])
    result = cli("request", "GET", fake_api.url + "/flaky")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"ok": True}
    assert "warning: retrying GET" in result.stderr  # the logging hook, on stderr
    assert len(fake_api.requests_to("/flaky")) == 2


def test_request_stream_prints_events_as_they_arrive(fake_api: FakeAPIServer) -> None:
    result = cli("request", "GET", fake_api.url + "/sse?count=3", "--stream")
    if missing_feature("streaming") is not None:
        assert result.returncode == 1
        assert "not available yet" in assert_one_error_line(result.stderr)
        return
    assert result.returncode == 0, result.stderr
    events = [json.loads(line) for line in result.stdout.splitlines()]
    assert events == [{"index": i, "text": f"event {i}"} for i in range(3)]


def test_request_error_status_exits_1_with_one_line(fake_api: FakeAPIServer) -> None:
    result = cli("request", "GET", fake_api.url + "/status/404")
    assert result.returncode == 1
    line = assert_one_error_line(result.stderr)
    assert "NotFoundError" in line and "404" in line and "/status/404" in line
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
