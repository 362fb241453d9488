"""Discovery, selection, conflicts, disabling, laziness and overrides, with real installed distributions.

Two test-only distributions are built (as wheels, so no build backend or index
is needed) in a temporary directory and pip-installed into the running
environment for this module (and uninstalled after it):
``genai-base-testdist-alpha`` and ``genai-base-testdist-beta`` both offer a
serializer named ``shared``; alpha also offers a lazy one, a broken one, one
written for another plugin API and one that fits no protocol.
"""

from __future__ import annotations

import base64
import hashlib
import importlib
import os
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path
from typing import Any, Iterator

import pytest

from genai_base import (
    BearerAuth,
    ClientContainer,
    ConfigurationError,
    ExponentialRetryPolicy,
    JSONSerializer,
    LoggingHook,
    NoRetryPolicy,
    PluginConflictError,
    PluginLoadError,
    PluginNotFoundError,
    SyncAPIClient,
    _plugins,
)
from genai_base.testing import FakeAPIServer, Reply

from .conftest import Shell

ALPHA = "genai-base-testdist-alpha"
BETA = "genai-base-testdist-beta"

ALPHA_ENTRY_POINTS = {
    "genai_base.serializers": {
        "shared": "gbt_alpha.serializer:AlphaSerializer",
        "lazy_one": "gbt_alpha.lazy_one:LazySerializer",
        "lazy_disabled": "gbt_alpha.lazy_disabled:LazySerializer",
        "broken": "gbt_alpha.broken:Serializer",
        "future_api": "gbt_alpha.future_api:Serializer",
        "misfit": "gbt_alpha.misfit:NotASerializer",
    },
    "genai_base.hooks": {"alpha_hook": "gbt_alpha.hooks:AlphaHook"},
}
ALPHA_FILES = {
    "gbt_alpha/__init__.py": "",
    "gbt_alpha/serializer.py": """
        import json

        class AlphaSerializer:
            media_types = ("application/x-alpha",)

            def dumps(self, data):
                return b"alpha:" + json.dumps(data).encode()

            def loads(self, raw):
                return json.loads(raw.removeprefix(b"alpha:"))
    """,
    "gbt_alpha/lazy_one.py": """
        class LazySerializer:
            media_types = ("application/x-lazy-one",)

            def dumps(self, data):
                return b""

            def loads(self, raw):
                return None
    """,
    "gbt_alpha/lazy_disabled.py": """
        raise RuntimeError("a disabled plugin must never be imported")
    """,
    "gbt_alpha/broken.py": """
        import gbt_alpha_missing_dependency  # noqa: F401
    """,
    "gbt_alpha/future_api.py": """
        genai_base_plugin_api = 99

        class Serializer:
            media_types = ("application/x-future",)

            def dumps(self, data):
                return b""

            def loads(self, raw):
                return None
    """,
    "gbt_alpha/misfit.py": """
        class NotASerializer:
            def encode(self, data):
                return b""
    """,
    "gbt_alpha/hooks.py": """
        class AlphaHook:
            def on_request(self, event):
                pass
    """,
}

BETA_ENTRY_POINTS = {"genai_base.serializers": {"shared": "gbt_beta:BetaSerializer"}}
BETA_FILES = {
    "gbt_beta/__init__.py": """
        genai_base_plugin_api = 1

        class BetaSerializer:
            media_types = ("application/x-beta",)

            def dumps(self, data):
                return b"beta"

            def loads(self, raw):
                return {"beta": True}
    """,
}


def build_wheel(out: Path, name: str, version: str, entry_points: dict[str, dict[str, str]],
                files: dict[str, str]) -> Path:
    """A pure-Python wheel of ``files`` declaring ``entry_points`` (needs no build backend, works offline)."""
    stem = f"{name.replace('-', '_')}-{version}"
    info = f"{stem}.dist-info"
    contents = {path: textwrap.dedent(text).lstrip().encode() for path, text in files.items()}
    contents[f"{info}/METADATA"] = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode()
    contents[f"{info}/WHEEL"] = (
        b"Wheel-Version: 1.0\nGenerator: genai_base-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    )
    contents[f"{info}/entry_points.txt"] = "".join(
        f"[{group}]\n" + "".join(f"{ep} = {value}\n" for ep, value in eps.items()) + "\n"
        for group, eps in entry_points.items()
    ).encode()
    record = []
    for path, data in contents.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(data)}")
    record.append(f"{info}/RECORD,,")
    contents[f"{info}/RECORD"] = ("\n".join(record) + "\n").encode()
    wheel = out / f"{stem}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for path, data in contents.items():
            archive.writestr(path, data)
    return wheel


def _pip(*args: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pip", *args], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr


def _rescan() -> None:
    importlib.invalidate_caches()
    _plugins.discover.cache_clear()


@pytest.fixture(scope="module", autouse=True)
def test_distributions(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    root = tmp_path_factory.mktemp("dists")
    alpha = build_wheel(root, ALPHA, "1.2.3", ALPHA_ENTRY_POINTS, ALPHA_FILES)
    beta = build_wheel(root, BETA, "0.9", BETA_ENTRY_POINTS, BETA_FILES)
    _pip("install", "--quiet", "--no-deps", "--no-build-isolation", "--no-index", str(alpha), str(beta))
    _rescan()
    try:
        yield
    finally:
        _pip("uninstall", "--quiet", "--yes", ALPHA, BETA)
        for name in [m for m in sys.modules if m.startswith(("gbt_alpha", "gbt_beta"))]:
            del sys.modules[name]
        _rescan()


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("GENAI_BASE_"):
            monkeypatch.delenv(name)


def make_client(container: ClientContainer | None = None, **kwargs: Any) -> SyncAPIClient:
    made = SyncAPIClient(version="1", base_url="http://127.0.0.1:9", container=container, **kwargs)
    made.close()
    return made


def configured(**config: Any) -> ClientContainer:
    container = ClientContainer()
    container.config.from_dict(config)
    return container


# -- discovery ---------------------------------------------------------------------------------


def test_every_group_is_discovered_once_with_its_distribution() -> None:
    found = _plugins.discover()
    assert set(found) == set(_plugins.GROUPS)
    assert _plugins.discover() is found  # cached for the process
    builtin = {(g, p.name) for g, infos in found.items() for p in infos if p.builtin}
    assert {("serializers", "json"), ("auth", "bearer"), ("hooks", "logging"), ("retry_policies", "none")} <= builtin
    shared = [p for p in found["serializers"] if p.name == "shared"]
    assert {(p.distribution, p.version) for p in shared} == {(ALPHA, "1.2.3"), (BETA, "0.9")}
    assert not any(p.builtin for p in shared)


def test_a_plugin_module_is_imported_only_when_selected() -> None:
    assert "gbt_alpha.lazy_one" not in sys.modules
    make_client(configured(serializer="json", hooks=["logging", "alpha_hook"]))
    _plugins.select("serializers", "lazy_one")  # selecting is not loading
    assert "gbt_alpha.lazy_one" not in sys.modules
    made = make_client(configured(serializer="lazy_one"))
    assert "gbt_alpha.lazy_one" in sys.modules
    assert type(made._builder.serializer).__name__ == "LazySerializer"


# -- selection by name from every source ---------------------------------------------------------


def test_selected_by_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GENAI_BASE_RETRY_POLICY", "none")
    monkeypatch.setenv("GENAI_BASE_SERIALIZER", f"{ALPHA}:shared")
    made = make_client()
    assert isinstance(made._retry_policy, NoRetryPolicy)
    assert type(made._builder.serializer).__name__ == "AlphaSerializer"


def test_selected_by_dict() -> None:
    made = make_client(configured(retry_policy="none", serializer=f"{BETA}:shared"))
    assert isinstance(made._retry_policy, NoRetryPolicy)
    assert type(made._builder.serializer).__name__ == "BetaSerializer"


def test_selected_by_yaml(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(f"retry_policy: none\nserializer: '{ALPHA}:shared'\n")
    container = ClientContainer()
    container.config.from_yaml(str(path), required=True)
    made = make_client(container)
    assert isinstance(made._retry_policy, NoRetryPolicy)
    assert type(made._builder.serializer).__name__ == "AlphaSerializer"


def test_selected_by_ini(tmp_path: Path) -> None:
    path = tmp_path / "c.ini"
    path.write_text(f"[genai_base]\nretry_policy = none\nserializer = {ALPHA}:shared\n")
    container = ClientContainer()
    container.config.from_ini(str(path), required=True)
    made = make_client(container)
    assert isinstance(made._retry_policy, NoRetryPolicy)
    assert type(made._builder.serializer).__name__ == "AlphaSerializer"


def test_selected_by_argument(monkeypatch: pytest.MonkeyPatch) -> None:
    made = make_client(configured(auth_options={"token": "t0k"}), auth="bearer")
    assert isinstance(made._auth, BearerAuth)
    monkeypatch.setenv("GENAI_BASE_AUTH", "api_key")
    made = make_client(configured(auth_options={"token": "t0k"}), auth="genai-base:bearer")
    assert isinstance(made._auth, BearerAuth)


def test_a_selected_serializer_is_used_end_to_end(shell: Shell) -> None:
    made = shell.client(container=configured(serializer=f"{ALPHA}:shared"))
    shell.server.script("/alpha", Reply(body=b'alpha:{"back": 1}', content_type="application/x-alpha"))
    assert shell.run(made.post("/alpha", cast_to=dict, body={"x": 1})) == {"back": 1}
    (sent,) = shell.server.requests_to("/alpha")
    assert sent.headers["content-type"] == "application/x-alpha"
    assert sent.body == b'alpha:{"x": 1}'


# -- conflicts and errors -------------------------------------------------------------------------


def test_the_same_name_from_two_distributions_is_a_conflict() -> None:
    with pytest.raises(PluginConflictError) as info:
        make_client(configured(serializer="shared"))
    message = str(info.value)
    assert ALPHA in message and BETA in message
    assert "genai_base.serializers" in message and "'shared'" in message
    assert f"'{ALPHA}:shared'" in message


def test_distribution_name_resolves_a_conflict_in_any_spelling() -> None:
    assert _plugins.select("serializers", f"{ALPHA}:shared").distribution == ALPHA
    assert _plugins.select("serializers", "Genai_Base_Testdist.Beta:shared").distribution == BETA


def test_an_unknown_name_lists_what_is_available() -> None:
    with pytest.raises(PluginNotFoundError) as info:
        make_client(configured(serializer="yaml"))
    message = str(info.value)
    assert "'yaml'" in message and "genai_base.serializers" in message
    assert "available:" in message and "json" in message and "shared" in message
    with pytest.raises(PluginNotFoundError, match=r"no plugin named 'genai-base:shared'"):
        _plugins.select("serializers", "genai-base:shared")
    with pytest.raises(PluginNotFoundError, match="unknown plugin group"):
        _plugins.select("transports", "x")


def test_a_broken_plugin_names_its_distribution_and_cause() -> None:
    with pytest.raises(PluginLoadError) as info:
        make_client(configured(serializer="broken"))
    message = str(info.value)
    assert ALPHA in message and "1.2.3" in message
    assert "ModuleNotFoundError" in message and "gbt_alpha_missing_dependency" in message
    assert isinstance(info.value.__cause__, ImportError)


def test_a_plugin_for_another_api_version_is_refused() -> None:
    with pytest.raises(PluginLoadError, match=r"genai-base-testdist-alpha.*plugin API 99.*provides plugin API 1"):
        make_client(configured(serializer="future_api"))


def test_a_plugin_that_fits_no_protocol_is_refused() -> None:
    with pytest.raises(PluginLoadError, match=r"serializers:misfit.*alpha.*does not provide"):
        make_client(configured(serializer="misfit"))


def test_configuration_errors_are_configuration_errors() -> None:
    for error in (PluginConflictError, PluginLoadError, PluginNotFoundError):
        assert issubclass(error, ConfigurationError)


# -- disabling -----------------------------------------------------------------------------------


def test_disabled_by_group_and_name_is_never_imported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GENAI_BASE_DISABLE_PLUGINS", "serializers:lazy_disabled")
    with pytest.raises(PluginNotFoundError, match="disabled by GENAI_BASE_DISABLE_PLUGINS"):
        make_client(configured(serializer="lazy_disabled"))
    assert "gbt_alpha.lazy_disabled" not in sys.modules


def test_disabling_a_distribution_resolves_a_conflict(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GENAI_BASE_DISABLE_PLUGINS", f" {BETA} , hooks:other")
    made = make_client(configured(serializer="shared"))
    assert type(made._builder.serializer).__name__ == "AlphaSerializer"
    with pytest.raises(PluginNotFoundError, match="disabled"):
        make_client(configured(serializer=f"{BETA}:shared"))


def test_star_disables_every_third_party_plugin_but_not_builtins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GENAI_BASE_DISABLE_PLUGINS", "*")
    for spec in ("shared", f"{ALPHA}:shared", "lazy_one"):
        with pytest.raises(PluginNotFoundError, match="disabled"):
            make_client(configured(serializer=spec))
    made = make_client(configured(retry_policy="none", serializer="json"))
    assert isinstance(made._retry_policy, NoRetryPolicy)
    assert all(p.builtin for g in _plugins.discover().values() for p in g
               if not _plugins.is_disabled(p, _plugins.disabled_specs()))


def test_a_disabled_hook_just_stops_observing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GENAI_BASE_DISABLE_PLUGINS", "hooks:logging,hooks:alpha_hook")
    made = make_client(configured(hooks=["logging", "alpha_hook"]))
    assert made._hooks.hooks == []


def test_a_bare_name_disables_that_name_in_every_group(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GENAI_BASE_DISABLE_PLUGINS", "lazy_disabled, alpha_hook")
    with pytest.raises(PluginNotFoundError, match="disabled by GENAI_BASE_DISABLE_PLUGINS"):
        make_client(configured(serializer="lazy_disabled"))
    assert "gbt_alpha.lazy_disabled" not in sys.modules
    assert make_client(configured(hooks=["logging", "alpha_hook"]))._hooks.hooks[1:] == []
    # Other plugins of the same distributions stay usable.
    assert type(make_client(configured(serializer="lazy_one"))._builder.serializer).__name__ == "LazySerializer"


def test_every_form_of_entry_names_what_it_should() -> None:
    shared = {p.distribution: p for p in _plugins.discover()["serializers"] if p.name == "shared"}
    alpha, beta = shared[ALPHA], shared[BETA]
    json_builtin = next(p for p in _plugins.discover()["serializers"] if p.name == "json")
    cases = {
        "serializers:shared": (True, True, False),
        "genai_base.serializers:shared": (True, True, False),
        "hooks:shared": (False, False, False),
        "shared": (True, True, False),
        f"{ALPHA}:shared": (True, False, False),
        ALPHA.replace("-", "_").upper(): (True, False, False),  # distribution names are normalised
        "*": (True, True, False),
        "json": (False, False, True),  # naming a built-in explicitly turns it off
    }
    for entry, expected in cases.items():
        got = tuple(_plugins.is_disabled(p, frozenset({entry})) for p in (alpha, beta, json_builtin))
        assert got == expected, entry


def test_an_entry_matching_nothing_is_reported_once(monkeypatch: pytest.MonkeyPatch,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    entries = "nosuch_plugin, serializers:nosuch, hooks:alpha_hook, shared, no-such-distribution, *"
    assert _plugins.unknown_disabled(_plugins.disabled_specs({"GENAI_BASE_DISABLE_PLUGINS": entries})) == [
        "no-such-distribution", "nosuch_plugin", "serializers:nosuch"]
    monkeypatch.setattr(_plugins, "_reported", set())
    monkeypatch.setenv("GENAI_BASE_DISABLE_PLUGINS", "nosuch_plugin,hooks:alpha_hook")
    with caplog.at_level("WARNING", logger="genai_base"):
        make_client()
        make_client()
    warnings = [r.getMessage() for r in caplog.records if "GENAI_BASE_DISABLE_PLUGINS" in r.getMessage()]
    assert len(warnings) == 1, warnings
    assert "'nosuch_plugin' matches no installed plugin" in warnings[0]


# -- overrides -----------------------------------------------------------------------------------


class CountingPolicy(ExponentialRetryPolicy):
    pass


def test_override_with_an_object_and_as_a_context_manager() -> None:
    container = ClientContainer()
    policy = CountingPolicy()
    with container.retry_policy.override(policy):
        assert make_client(container)._retry_policy is policy
    assert type(make_client(container)._retry_policy) is ExponentialRetryPolicy
    container.serializer.override("lazy_one")
    assert type(make_client(container)._builder.serializer).__name__ == "LazySerializer"
    container.serializer.reset_override()
    assert isinstance(make_client(container)._builder.serializer, JSONSerializer)


def test_an_override_never_leaks_into_another_client(fake_api: FakeAPIServer) -> None:
    first = SyncAPIClient(version="1", base_url=fake_api.url)
    first._container.retry_policy.override(NoRetryPolicy())
    first._container.hooks.override([])
    second = SyncAPIClient(version="1", base_url=fake_api.url)
    try:
        assert first._container is not second._container
        assert isinstance(second._retry_policy, ExponentialRetryPolicy)
        assert any(isinstance(h, LoggingHook) for h in second._hooks.hooks)
        other = ClientContainer()
        other.retry_policy.override(NoRetryPolicy())
        third = make_client()
        assert isinstance(third._retry_policy, ExponentialRetryPolicy)
        # A copy shares its parent's container on purpose.
        assert first.copy()._container is first._container
    finally:
        first.close()
        second.close()


def test_overrides_are_checked() -> None:
    container = ClientContainer()
    container.retry_policy.override(object())
    with pytest.raises(ConfigurationError, match="not a valid retry_policies component"):
        make_client(container)
    container = ClientContainer()
    container.hooks.override(["logging", "alpha_hook"])
    assert [type(h).__name__ for h in make_client(container)._hooks.hooks] == ["LoggingHook", "AlphaHook"]


def test_an_override_takes_effect_on_calls(shell: Shell) -> None:
    container = ClientContainer()
    container.retry_policy.override(NoRetryPolicy())
    made = shell.client(container=container)
    shell.server.script("/down", Reply(status=503))
    with pytest.raises(Exception, match="503"):
        shell.run(made.get("/down", cast_to=dict))
    assert len(shell.server.requests_to("/down")) == 1
