"""The one header type: case-insensitive, multi-valued, never showing a credential in its repr."""

from __future__ import annotations

from typing import Any

import pytest

from genai_base import Headers
from tests.conftest import Shell


def test_names_are_case_insensitive_and_keep_their_first_spelling() -> None:
    headers = Headers({"Content-Type": "application/json"})
    assert headers["content-type"] == headers.get("CONTENT-TYPE") == "application/json"
    assert "content-TYPE" in headers and list(headers) == ["Content-Type"]
    headers["content-type"] = "text/plain"
    assert headers.to_dict() == {"content-type": "text/plain"}
    del headers["CONTENT-type"]
    assert not headers and headers.get("content-type", "none") == "none"


def test_repeated_names_keep_every_value() -> None:
    headers = Headers.from_pairs([("Set-Cookie", "a=1"), ("set-cookie", "b=2"), ("X", "y")])
    assert headers.get_list("set-cookie") == ["a=1", "b=2"]
    assert headers["Set-Cookie"] == "a=1, b=2"
    assert headers.multi_items() == [("Set-Cookie", "a=1"), ("Set-Cookie", "b=2"), ("X", "y")]
    headers.add("x", "z")
    assert headers.get_list("X") == ["y", "z"]
    headers["x"] = "only"
    assert headers.get_list("x") == ["only"]
    copy = headers.copy()
    copy.add("set-cookie", "c=3")
    assert headers.get_list("set-cookie") == ["a=1", "b=2"]  # the copy changes alone


def test_a_mapping_with_two_casings_of_one_name_keeps_both_values() -> None:
    headers = Headers({"Accept": "a", "ACCEPT": "b"})
    assert headers.get_list("accept") == ["a", "b"]


def test_equality_ignores_case() -> None:
    assert Headers({"A": "1"}) == Headers({"a": "1"}) == {"a": "1"}
    assert Headers({"A": "1"}) != {"a": "2"}


def test_repr_and_redacted_copies_hide_credentials() -> None:
    headers = Headers({"Authorization": "Bearer s3cret", "X-Goog-Api-Key": "k3y", "Accept": "*/*"})
    assert "s3cret" not in repr(headers) and "k3y" not in repr(headers) and "*/*" in repr(headers)
    redacted = headers.redacted({"accept", "authorization"})
    assert redacted["accept"] == "<redacted>" and redacted["authorization"] == "<redacted>"
    assert headers["authorization"] == "Bearer s3cret"  # the original is untouched


@pytest.mark.parametrize("name", ["set-cookie", "SET-COOKIE"])
def test_responses_on_both_shells_carry_headers_of_this_type(shell: Shell, name: str) -> None:
    from genai_base import APIResponse

    response = shell.run(shell.client().get("/echo", cast_to=APIResponse[dict]))
    assert isinstance(response.headers, Headers)
    assert response.headers.get("CONTENT-TYPE", "").startswith("application/json")
    assert isinstance(response.http_request.headers, Headers)
    assert response.headers.get_list(name) == response.headers.get_list(name.lower())


@pytest.mark.parametrize(
    "change",
    [
        lambda h: h.__setitem__("X-New", "1"),
        lambda h: h.__setitem__("accept", "text/plain"),
        lambda h: h.__delitem__("Accept"),
        lambda h: h.pop_all(["accept"]),
        lambda h: h.add("Accept", "text/plain"),
        lambda h: h.add("X-New", "1"),
        lambda h: h.update({"X-New": "1"}),
        lambda h: h.pop("Accept"),
        lambda h: h.clear(),
    ],
)
def test_a_template_copy_is_copied_on_its_first_change_and_the_template_never_changes(change: Any) -> None:
    template = Headers({"Accept": "application/json", "User-Agent": "sdk/1"})
    before = template.to_dict()
    copy = template.template_copy()
    assert copy.is_copy_of(template) and copy == template
    change(copy)
    assert not copy.is_copy_of(template)
    assert template.to_dict() == before  # the template is as it was
    other = template.template_copy()
    assert other.to_dict() == before and other.is_copy_of(template)


def test_a_plain_copy_is_no_template_copy() -> None:
    template = Headers({"Accept": "application/json"})
    assert not template.copy().is_copy_of(template)
    assert not Headers(template).is_copy_of(template)


def test_a_template_does_not_change_once_copied_and_names_its_storage() -> None:
    template = Headers({"Accept": "application/json"})
    assert template.template_store() is None  # plain headers: no template yet
    copy = template.template_copy()
    store = template.template_store()
    assert store is not None and copy.template_store() is store
    with pytest.raises(TypeError, match="template"):
        template["Accept"] = "text/plain"
    with pytest.raises(TypeError, match="template"):
        template.add("X-New", "1")
    assert template["Accept"] == "application/json"
    copy["X-New"] = "1"  # a copy changes, on its own storage
    assert copy.template_store() is None and "X-New" not in template
    changed = template.copy()
    changed["Accept"] = "text/plain"  # a plain copy of a template is no template
    assert changed.template_store() is None


@pytest.mark.parametrize("value", ["a\r\nX-Injected: 1", "a\nb", "a\x00b"])
def test_a_template_of_an_sdks_own_is_checked_before_it_is_sent(shell: Shell, value: str) -> None:
    # The transports check a template's headers once and then trust them: a template that never went
    # through the request builder is checked too, on both shells.
    bad = Headers({"Accept": "application/json", "X-Bad": value})

    class OwnTemplate(shell.client_class):  # type: ignore[misc,name-defined]
        def _prepare_request(self, request: Any) -> None:
            request.headers = bad.template_copy()

    client = OwnTemplate(version="1", base_url=shell.server.url, max_retries=0)
    shell._clients.append(client)
    for _ in range(2):  # checked again: a refused template is never taken as checked
        with pytest.raises(ValueError, match="X-Bad"):
            shell.run(client.get("/echo", cast_to=dict))


def test_templates_of_changing_sdk_headers_are_each_sent_as_they_are(shell: Shell) -> None:
    # An SDK whose headers are properties gets a new template whenever they change (a rotated key):
    # each goes out with its own values, however many there were.
    class Rotating(shell.client_class):  # type: ignore[misc,name-defined]
        key = "k0"

        @property
        def auth_headers(self) -> dict[str, str]:
            return {"Authorization": f"Bearer {self.key}"}

    client = Rotating(version="1", base_url=shell.server.url, max_retries=0)
    shell._clients.append(client)
    for round_ in range(70):  # past the transports' bound on remembered templates
        client.key = f"k{round_ % 35}"
        sent = shell.run(client.get("/echo", cast_to=dict))["headers"]
        assert sent["authorization"] == f"Bearer k{round_ % 35}"
        assert sent["accept"] == "application/json"


def test_the_same_change_to_a_template_gives_copies_of_one_derived_template() -> None:
    template = Headers({"Accept": "application/json"})
    first = template.template_copy().with_items((("Authorization", "Bearer a"),))
    again = template.template_copy().with_items((("Authorization", "Bearer a"),))
    other = template.template_copy().with_items((("Authorization", "Bearer b"),))
    assert first["authorization"] == "Bearer a" and other["authorization"] == "Bearer b"
    assert first.template_store() is not None and first.template_store() is again.template_store()
    assert other.template_store() is not first.template_store()
    assert "Authorization" not in template  # the template itself is as it was
    plain = Headers({"Accept": "application/json"}).with_items((("X-New", "1"),))
    assert plain.template_store() is None and plain["x-new"] == "1"  # no template: a plain copy
