"""Configuration: defaults < GENAI_BASE_* < container config (dict, yaml, ini) < constructor arguments."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterator

import pytest

from genai_base import (
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    BearerAuth,
    ClientContainer,
    ConfigurationError,
    SyncAPIClient,
    Timeout,
)
from genai_base._config_report import ConfigEntry, describe
from genai_base._settings import DEFAULTS, Settings, env_settings, resolve_settings

from .conftest import Shell


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No GENAI_BASE_* variable from the outside leaks into these tests."""
    for name in list(os.environ):
        if name.startswith("GENAI_BASE_"):
            monkeypatch.delenv(name)
    yield


def client(container: ClientContainer | None = None, **kwargs: Any) -> SyncAPIClient:
    made = SyncAPIClient(version="1", base_url="http://127.0.0.1:9", container=container, **kwargs)
    made.close()
    return made


def yaml_container(tmp_path: Path, text: str) -> ClientContainer:
    path = tmp_path / "config.yaml"
    path.write_text(text)
    container = ClientContainer()
    container.config.from_yaml(str(path), required=True)
    return container


def ini_container(tmp_path: Path, text: str) -> ClientContainer:
    path = tmp_path / "config.ini"
    path.write_text(text)
    container = ClientContainer()
    container.config.from_ini(str(path), required=True)
    return container


# -- defaults ------------------------------------------------------------------------------------


def test_defaults_everywhere_without_configuration() -> None:
    settings = ClientContainer().settings()
    assert set(settings.sources.values()) == {"default"}
    for key, value in DEFAULTS.items():
        if key != "retry_budget":
            assert settings[key] == value, key
    made = client()
    assert made.max_retries == DEFAULT_MAX_RETRIES == 5
    assert made.timeout == DEFAULT_TIMEOUT
    assert made.max_redirects == 20
    assert made._idempotency_header is None


# -- each source over the one below it, for every kind of value ---------------------------------

# key, environment value, configuration value, argument value, and what each parses to.
PRECEDENCE = [
    ("max_retries", "2", 3, 4, (2, 3, 4)),
    ("timeout", "2.5", {"timeout": 10, "connect": 1}, Timeout(7), (Timeout(2.5), Timeout(10, connect=1), Timeout(7))),
    ("deadline", "30", "20.5", 10.0, (30.0, 20.5, 10.0)),
    ("max_redirects", "3", 2, 1, (3, 2, 1)),
    ("idempotency_header", "Idem-Env", "Idem-Config", "Idem-Arg", ("Idem-Env", "Idem-Config", "Idem-Arg")),
]


def _attribute(made: SyncAPIClient, key: str) -> Any:
    return made._idempotency_header if key == "idempotency_header" else getattr(made, key)


@pytest.mark.parametrize("key, env_value, config_value, arg_value, expected", PRECEDENCE)
def test_precedence_of_every_source(
    monkeypatch: pytest.MonkeyPatch, key: str, env_value: str, config_value: Any, arg_value: Any, expected: tuple
) -> None:
    from_env, from_config, from_arg = expected
    monkeypatch.setenv(f"GENAI_BASE_{key.upper()}", env_value)
    container = ClientContainer()
    assert container.settings().source(key) == "environment"
    assert _attribute(client(container), key) == from_env

    container.config.from_dict({key: config_value})
    assert container.settings().source(key) == "configuration"
    assert _attribute(client(container), key) == from_config

    made = client(container, **{key: arg_value})
    assert made._settings.source(key) == "argument"
    assert _attribute(made, key) == from_arg


@pytest.mark.parametrize(
    "key, env_value, config_value, expected_env, expected_config",
    [
        ("pool_size", "7", 9, 7, 9),
        ("verify", "false", "/etc/ca.pem", False, "/etc/ca.pem"),
        ("trust_env", "0", True, False, True),
        ("hooks", "", ["logging"], [], ["logging"]),
        ("serializers", "json, json", [], ["json", "json"], []),
        ("retry_policy", "none", "budgeted", "none", "budgeted"),
        ("query_array_format", "comma", "indices", "comma", "indices"),
        ("retry_after_ceiling", "1.5", 30, 1.5, 30.0),
        ("cert", "c.pem,k.pem", ["a.pem", "b.pem"], ("c.pem", "k.pem"), ("a.pem", "b.pem")),
        ("proxies", "http://proxy:1", {"https": "http://p:2"}, "http://proxy:1", {"https": "http://p:2"}),
    ],
)
def test_settings_keys_from_environment_then_configuration(
    monkeypatch: pytest.MonkeyPatch, key: str, env_value: str, config_value: Any, expected_env: Any,
    expected_config: Any
) -> None:
    monkeypatch.setenv(f"GENAI_BASE_{key.upper()}", env_value)
    container = ClientContainer()
    assert container.settings()[key] == expected_env
    container.config.from_dict({key: config_value})
    settings = container.settings()
    assert (settings[key], settings.source(key)) == (expected_config, "configuration")


def test_yaml_overrides_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("GENAI_BASE_MAX_RETRIES", "2")
    monkeypatch.setenv("GENAI_BASE_POOL_SIZE", "11")
    container = yaml_container(tmp_path, "max_retries: 3\ntimeout:\n  timeout: 9\n  connect: 2\nverify: false\n")
    settings = container.settings()
    assert (settings["max_retries"], settings.source("max_retries")) == (3, "configuration")
    assert (settings["pool_size"], settings.source("pool_size")) == (11, "environment")
    assert settings["timeout"] == Timeout(9, connect=2)
    assert settings["verify"] is False
    assert client(container, max_retries=1).max_retries == 1


def test_ini_strings_are_parsed(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("GENAI_BASE_MAX_RETRIES", "2")
    container = ini_container(
        tmp_path,
        "[genai_base]\nmax_retries = 3\ntimeout = 4.5\ntrust_env = false\nhooks = logging\n"
        "serializers =\nretry_budget.retry_cost = 2\n\n[retry_budget]\ncapacity = 50\n",
    )
    settings = container.settings()
    assert settings["max_retries"] == 3 and settings.source("max_retries") == "configuration"
    assert settings["timeout"] == Timeout(4.5)
    assert settings["trust_env"] is False
    assert settings["hooks"] == ["logging"]
    assert settings["serializers"] == []
    assert settings["retry_budget"] == {"capacity": 50.0, "retry_cost": 2.0, "timeout_retry_cost": 10.0,
                                        "success_refund": 1.0}
    made = client(container)
    assert made.max_retries == 3 and made.timeout == Timeout(4.5)


def test_nested_entries_merge_across_sources(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GENAI_BASE_RETRY_BUDGET__CAPACITY", "40")
    monkeypatch.setenv("GENAI_BASE_TIMEOUT__CONNECT", "1")
    container = ClientContainer()
    container.config.from_dict({"retry_budget": {"retry_cost": 3}})
    settings = container.settings()
    assert settings["retry_budget"]["capacity"] == 40.0
    assert settings["retry_budget"]["retry_cost"] == 3.0
    assert settings.source("retry_budget.capacity") == "environment"
    assert settings.source("retry_budget.retry_cost") == "configuration"
    assert settings.source("retry_budget.success_refund") == "default"
    assert settings["timeout"] == Timeout(None, connect=1)


def test_environment_is_read_when_the_client_is_built(monkeypatch: pytest.MonkeyPatch) -> None:
    container = ClientContainer()
    monkeypatch.setenv("GENAI_BASE_MAX_RETRIES", "1")
    assert client(container).max_retries == 1


def test_arguments_at_their_documented_default_still_win(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GENAI_BASE_MAX_RETRIES", "0")
    assert client().max_retries == 0
    assert client(max_retries=5).max_retries == 5
    assert client(timeout=None).timeout is None


def test_max_retries_none_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="max_retries"):
        client(max_retries=None)  # type: ignore[arg-type]


def test_a_client_reads_the_settings_it_was_built_with(shell: Shell, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GENAI_BASE_IDEMPOTENCY_HEADER", "Idem")
    made = shell.client()
    echo = shell.run(made.post("/echo", cast_to=dict, body={}))
    assert echo["headers"]["idem"].startswith("genai-base-retry-")


# -- invalid values ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key, env_value, message",
    [
        ("TIMEOUT", "-1", r"'timeout' from environment variable GENAI_BASE_TIMEOUT: '-1' \(must be"),
        ("MAX_RETRIES", "x", r"'max_retries' from environment variable GENAI_BASE_MAX_RETRIES: 'x'"),
        ("POOL_SIZE", "0", r"'pool_size' .*: '0' \(must be >= 1\)"),
        ("TRUST_ENV", "maybe", r"'trust_env' .*'maybe'.*boolean"),
        ("QUERY_ARRAY_FORMAT", "zigzag", r"expected one of comma, repeat"),
        ("RETRY_BUDGET__CAPACITY", "-5", r"'retry_budget.capacity' from environment variable "
                                          r"GENAI_BASE_RETRY_BUDGET__CAPACITY: '-5'"),
        ("RETRY_BUDGET__BOGUS", "1", r"'retry_budget.bogus'.*unknown entry"),
        ("DEADLINE", "inf", r"'deadline'.*finite"),
    ],
)
def test_invalid_environment_values(monkeypatch: pytest.MonkeyPatch, key: str, env_value: str, message: str) -> None:
    monkeypatch.setenv(f"GENAI_BASE_{key}", env_value)
    with pytest.raises(ConfigurationError, match=message):
        client()


@pytest.mark.parametrize(
    "config, message",
    [
        ({"timeout": -2}, r"'timeout' from configuration: -2"),
        ({"max_retries": "x"}, r"'max_retries' from configuration: 'x' \(expected a whole number\)"),
        ({"max_retries": 1.5}, r"'max_retries' from configuration: 1.5"),
        ({"timeout": {"conect": 1}}, r"unknown timeout field"),
        ({"hooks": 3}, r"'hooks' from configuration"),
        ({"max_retires": 3}, r"unknown configuration key.*'max_retires' \(did you mean 'max_retries'\?\)"),
        ({"genai_base": "x"}, r"'genai_base' section"),
    ],
)
def test_invalid_configuration_values(config: dict[str, Any], message: str) -> None:
    container = ClientContainer()
    container.config.from_dict(config)
    with pytest.raises(ConfigurationError, match=message):
        client(container)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"max_retries": "x"}, r"'max_retries' from constructor argument: 'x'"),
        ({"max_retries": -1}, r"'max_retries' from constructor argument: -1 \(must be >= 0\)"),
        ({"timeout": -1}, r"'timeout' from constructor argument: -1"),
        ({"deadline": -3.0}, r"'deadline' from constructor argument"),
        ({"max_redirects": True}, r"'max_redirects' from constructor argument: True"),
    ],
)
def test_invalid_arguments(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        client(**kwargs)


def test_errors_about_secret_keys_do_not_show_the_value(monkeypatch: pytest.MonkeyPatch) -> None:
    container = ClientContainer()
    container.config.from_dict({"auth_options": "sk-live-secret"})
    with pytest.raises(ConfigurationError, match="auth_options") as info:
        client(container)
    assert "sk-live-secret" not in str(info.value)
    container = ClientContainer()
    container.config.from_dict({"proxies": 12345})
    with pytest.raises(ConfigurationError, match="proxies") as info:
        client(container)
    assert "12345" not in str(info.value)


def test_configuration_error_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        client(max_retries="many")  # type: ignore[arg-type]


# -- describe: what `genai-base config` shows --------------------------------------------------


def test_describe_gives_value_and_source_of_every_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GENAI_BASE_MAX_RETRIES", "2")
    monkeypatch.setenv("GENAI_BASE_AUTH_OPTIONS__TOKEN", "tok-secret")
    monkeypatch.setenv("GENAI_BASE_RETRY_BUDGET__CAPACITY", "40")
    container = ClientContainer()
    container.config.from_dict(
        {"pool_size": 5, "proxies": {"https": "http://user:pa55@proxy.local:3128"}, "timeout": {"timeout": 9}}
    )
    described = describe(container, arguments={"max_redirects": 4})
    assert set(described) >= {"max_retries", "pool_size", "retry_budget.capacity", "auth_options", "proxies"}
    assert described["max_retries"] == ConfigEntry(2, "environment")
    assert described["pool_size"] == ConfigEntry(5, "configuration")
    assert described["max_redirects"] == ConfigEntry(4, "argument")
    assert described["verify"] == ConfigEntry(True, "default")
    assert described["timeout"] == ConfigEntry(9.0, "configuration")
    assert described["retry_budget.capacity"] == ConfigEntry(40.0, "environment")
    assert described["retry_budget.retry_cost"].source == "default"
    assert described["auth_options"] == ConfigEntry({"token": "<redacted>"}, "environment")
    assert described["proxies"].value == {"https": "http://<redacted>@proxy.local:3128"}
    text = repr(described)
    assert "tok-secret" not in text and "pa55" not in text and "user:" not in text


def test_describe_a_client_and_settings() -> None:
    made = client(auth=BearerAuth("tok-secret"), timeout=Timeout(30, connect=2))
    described = describe(made)
    assert described["auth"] == ConfigEntry("<BearerAuth>", "argument")
    assert described["timeout"] == ConfigEntry({"timeout": 30.0, "connect": 2.0}, "argument")
    assert describe(made._settings) == described
    assert "tok-secret" not in repr(described)


def test_settings_repr_hides_auth_options() -> None:
    settings = resolve_settings({"auth_options": {"key": "k-secret"}}, {})
    assert isinstance(settings, Settings)
    assert "k-secret" not in repr(settings)


def test_env_settings_skips_other_variables() -> None:
    found = env_settings({"GENAI_BASE_LOG": "debug", "GENAI_BASE_DISABLE_PLUGINS": "*", "GENAI_BASE_POOL_SIZE": "3",
                          "OTHER": "x", "GENAI_BASE_AUTH_OPTIONS__KEY": "k"})
    assert found == {"pool_size": "3", "auth_options": {"key": "k"}}


def test_settings_are_resolved_once_per_client_and_reused_by_copies(monkeypatch: pytest.MonkeyPatch) -> None:
    import genai_base._container as container_module

    calls: list[Any] = []
    real = container_module.resolve_settings

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(container_module, "resolve_settings", counting)
    monkeypatch.setenv("GENAI_BASE_MAX_RETRIES", "3")
    client = SyncAPIClient(version="1", base_url="http://127.0.0.1:9/")
    assert len(calls) == 1 and client.max_retries == 3
    monkeypatch.setenv("GENAI_BASE_MAX_RETRIES", "4")  # a copy reuses what its original resolved
    copy = client.copy(timeout=2.0)
    assert len(calls) == 1 and copy.max_retries == 3 and copy._settings.source("timeout") == "argument"
    with pytest.raises(ConfigurationError, match="max_retries"):
        client.copy(max_retries=-1)  # an override is validated like any argument
    client.close()
