"""Typed models through real calls on both shells: cast_to forms, strict and lenient, bodies."""

from __future__ import annotations

from datetime import datetime
from typing import Literal, Optional, Union

import pytest

from genai_base import APIResponse, APIResponseValidationError
from genai_base.models import Field, Model
from genai_base.testing import Reply

from .conftest import Shell


class User(Model):
    id: str
    name: str


class Item(Model):
    id: str
    count: int
    tags: list[str] = []
    owner: Optional[User] = None
    created: Optional[datetime] = None
    kind: str = Field(default="plain", alias="type")


class Cat(Model):
    type: Literal["cat"]
    lives: int


class Dog(Model):
    type: Literal["dog"]
    good: bool


ITEM = {
    "id": "1",
    "count": 3,
    "tags": ["a"],
    "owner": {"id": "u", "name": "Ann"},
    "created": "2026-01-02T03:04:05Z",
    "type": "special",
    "extra": {"x": 1},
}


def serve(shell: Shell, payload: object) -> None:
    shell.server.script("/m", Reply(json=payload))


@pytest.mark.parametrize("strict", [True, False])
def test_model_cast_to(shell: Shell, strict: bool) -> None:
    serve(shell, ITEM)
    item = shell.run(shell.client(_strict_response_validation=strict).get("/m", cast_to=Item))
    assert isinstance(item, Item) and isinstance(item.owner, User)
    assert (item.id, item.count, item.tags, item.owner.name, item.kind) == ("1", 3, ["a"], "Ann", "special")
    assert item.created == datetime.fromisoformat("2026-01-02T03:04:05+00:00")
    assert item.extra == {"x": 1}  # unknown fields stay reachable
    assert item.to_dict()["extra"] == {"x": 1} and item.to_dict()["type"] == "special"


def test_list_dict_optional_and_union_forms(shell: Shell) -> None:
    client = shell.client(_strict_response_validation=True)
    serve(shell, [ITEM, {**ITEM, "id": "2"}])
    assert [i.id for i in shell.run(client.get("/m", cast_to=list[Item]))] == ["1", "2"]
    serve(shell, {"a": ITEM})
    assert shell.run(client.get("/m", cast_to=dict[str, Item]))["a"].owner.id == "u"
    serve(shell, None)
    assert shell.run(client.get("/m", cast_to=Optional[Item])) is None
    serve(shell, [{"type": "dog", "good": True}, {"type": "cat", "lives": 9}])
    pets = shell.run(client.get("/m", cast_to=list[Union[Cat, Dog]]))
    assert [type(p).__name__ for p in pets] == ["Dog", "Cat"]


def test_raw_response_of_a_model(shell: Shell) -> None:
    serve(shell, ITEM)
    response = shell.run(shell.client().get("/m", cast_to=APIResponse[Item]))
    assert response.status_code == 200
    assert shell.run(response.parse()).owner.name == "Ann"


def test_strict_mismatch_names_model_path_and_response(shell: Shell) -> None:
    serve(shell, {**ITEM, "owner": {"id": "u", "name": 5}, "tags": ["a", "b", 3]})
    client = shell.client(_strict_response_validation=True)
    with pytest.raises(APIResponseValidationError) as info:
        shell.run(client.get("/m", cast_to=Item))
    message = str(info.value)
    assert "Item" in message and ("owner.name" in message or "tags[2]" in message)
    assert info.value.response.status_code == 200 == info.value.status_code
    assert info.value.request is not None and info.value.request.url.endswith("/m")
    assert info.value.response.http_request is info.value.request


def test_lenient_keeps_mistyped_and_missing_values(shell: Shell) -> None:
    serve(shell, {"id": "1", "count": "many", "surprise": True})
    item = shell.run(shell.client(_strict_response_validation=False).get("/m", cast_to=Item))
    assert item.count == "many"
    assert item.surprise is True
    assert item.owner is None


def test_model_instances_are_accepted_as_json_bodies(shell: Shell) -> None:
    client = shell.client()
    user = User.load({"id": "u", "name": "Ann"})
    echo = shell.run(client.post("/echo", cast_to=dict, body={"user": user, "users": [user]}))
    assert echo["json"] == {"user": {"id": "u", "name": "Ann"}, "users": [{"id": "u", "name": "Ann"}]}
    echo = shell.run(client.post("/echo", cast_to=dict, body=user))
    assert echo["json"] == {"id": "u", "name": "Ann"}


def test_unknown_media_type_with_a_model_names_type_and_serializers(shell: Shell) -> None:
    shell.server.script("/m", Reply(body=b"<xml/>", content_type="application/xml"))
    with pytest.raises(APIResponseValidationError, match="application/xml") as info:
        shell.run(shell.client().get("/m", cast_to=Item))
    assert "application/json" in str(info.value)  # the serializers available are listed


def test_vendor_json_media_types_use_the_json_serializer(shell: Shell) -> None:
    shell.server.script("/m", Reply(body=b'{"id": "1", "count": 1}', content_type="application/vnd.api+json"))
    assert shell.run(shell.client().get("/m", cast_to=Item)).count == 1


def test_a_model_body_merges_with_extra_body(shell: Shell) -> None:
    user = User.load({"id": "u", "name": "Ann"})
    echo = shell.run(shell.client().post("/echo", cast_to=dict, body=user, options={"extra_json": {"x": 1}}))
    assert echo["json"] == {"id": "u", "name": "Ann", "x": 1}
