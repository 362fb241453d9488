"""Tests for genai_base.models: annotation-driven marshmallow models, strict and lenient."""

from __future__ import annotations

import copy
import enum
import pickle
import time
from datetime import date, datetime, timedelta, timezone
from typing import Any, ClassVar, Dict, List, Literal, Optional, Union

import marshmallow
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from genai_base._errors import GenaiBaseError
from genai_base.models import Field, Model, ModelValidationError, load_as, to_jsonable
from genai_base.models._lenient import construct_model

# --- models used across the tests ----------------------------------------------------------


class Color(enum.Enum):
    RED = "red"
    GREEN = "green"


class Level(enum.IntEnum):
    LOW = 1
    HIGH = 2


class Owner(Model):
    name: str
    tags: list[str] = []


class Item(Model):
    id: str
    type_: str = Field(alias="type", default="item")
    count: int = 0
    score: float = 0.0
    active: bool = True
    owner: Optional[Owner] = None
    color: Color = Color.RED
    created: Optional[datetime] = None
    labels: dict[str, int] = {}


class Listing(Model):
    items: list[Item]
    total: int


class Cat(Model):
    type: Literal["cat"]
    name: str
    indoor: bool = True


class Dog(Model):
    type: Literal["dog"]
    name: str
    good: bool = True


class Shelter(Model):
    pets: list[Union[Cat, Dog]]
    featured: Optional[Union[Cat, Dog]] = None


class Circle(Model):
    radius: float


class Square(Model):
    side: int


class Drawing(Model):
    shape: Union[Square, Circle]  # no discriminator: first member that validates
    value: Union[int, str] = 0


class Comment(Model):
    text: str
    replies: list[Comment] = []


class Post(Model):
    title: str
    author: Author  # defined below: a forward reference to a later class
    co_authors: List[Author] = []
    by_name: Dict[str, Author] = {}


class Author(Model):
    name: str


class Defaults(Model):
    tags: list[str] = []
    meta: dict[str, Any] = {}
    owner: Owner = Owner(name="default")
    made: list[int] = Field(default_factory=lambda: [1, 2])
    note: Optional[str] = Field(default=None, alias="Note")


class Annotated(Model):
    plain: str
    maybe: str | None = None
    anything: Any = None
    obj: object = None
    raw_list: list = []
    raw_dict: dict = {}
    level: Level = Level.LOW
    day: Optional[date] = None
    mode: Literal["a", "b", 3] = "a"
    nested_lists: list[list[int]] = []
    maps_of_lists: dict[str, list[Owner]] = {}
    optional_items: list[Optional[Owner]] = []

    counter: ClassVar[int] = 0  # not a field
    _private: int = 0  # not a field


def _item_payload(n: int) -> dict[str, Any]:
    return {
        "id": str(n),
        "type": "item",
        "count": n,
        "score": n / 4,
        "active": n % 2 == 0,
        "owner": {"name": f"owner-{n}", "tags": ["a", "b"]},
        "color": "green",
        "created": "2024-05-01T12:30:00+00:00",
        "labels": {"x": n},
    }


# --- basic loading and every annotation form -------------------------------------------------

SCALAR_CASES: list[tuple[Any, Any, Any, Any]] = [
    # (annotation, good input, expected output, bad input)
    (str, "abc", "abc", 5),
    (int, 5, 5, "5"),
    (float, 1.5, 1.5, "1.5"),
    (bool, True, True, 1),
    (Literal["a", "b"], "b", "b", "c"),
    (Color, "green", Color.GREEN, "blue"),
    (Level, 2, Level.HIGH, True),
    (datetime, "2024-01-02T03:04:05Z", datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc), "yesterday"),
    (date, "2024-01-02", date(2024, 1, 2), "2024-13-01"),
    (list[int], [1, 2], [1, 2], [1, "2"]),
    (List[str], ["a"], ["a"], "a"),
    (dict[str, int], {"a": 1}, {"a": 1}, {"a": "1"}),
    (Dict[str, float], {"a": 1}, {"a": 1.0}, ["a"]),
    (Optional[int], None, None, "x"),
    (int | None, 3, 3, 3.5),
    (Union[int, str], "x", "x", 1.5),
]


@pytest.mark.parametrize(("annotation", "good", "expected", "bad"), SCALAR_CASES)
def test_load_as_each_form_strict(annotation: Any, good: Any, expected: Any, bad: Any) -> None:
    result = load_as(annotation, good, strict=True)
    assert result == expected
    assert type(result) is type(expected)
    with pytest.raises(ModelValidationError):
        load_as(annotation, bad, strict=True)


@pytest.mark.parametrize(("annotation", "good", "expected", "bad"), SCALAR_CASES)
def test_load_as_each_form_lenient(annotation: Any, good: Any, expected: Any, bad: Any) -> None:
    assert load_as(annotation, good, strict=False) == expected
    # Lenient mode never raises; a mistyped scalar comes back as received.
    result = load_as(annotation, bad, strict=False)
    if not isinstance(bad, (list, dict)):
        assert result == bad


@pytest.mark.parametrize("annotation", [Any, object, dict, list])
def test_untyped_annotations_take_data_as_is(annotation: Any) -> None:
    data = {"a": [1, {"b": None}]} if annotation is not list else [1, "x", None]
    assert load_as(annotation, data, strict=True) == data
    assert load_as(annotation, data, strict=False) == data


def test_float_accepts_ints_and_stores_floats() -> None:
    assert load_as(float, 3, strict=True) == 3.0
    assert isinstance(load_as(float, 3, strict=True), float)
    assert Item.load({"id": "1", "score": 2}, strict=True).score == 2.0


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("count", "5"),  # strings are not integers
        ("count", True),  # booleans are not integers
        ("count", 5.0),
        ("score", True),
        ("score", "1.5"),
        ("active", 1),
        ("active", "true"),
        ("id", 1),
        ("color", "RED"),  # enums load by value, not by name
    ],
)
def test_strict_scalar_semantics(field: str, value: Any) -> None:
    with pytest.raises(ModelValidationError) as info:
        Item.load({"id": "1", field: value}, strict=True)
    assert info.value.path == field


def test_literal_keeps_json_types_apart() -> None:
    assert load_as(Literal[1], 1, strict=True) == 1
    with pytest.raises(ModelValidationError, match="Must be one of: 1"):
        load_as(Literal[1], True, strict=True)
    assert load_as(Literal["x", None], None, strict=True) is None


def test_datetime_with_offset_and_z() -> None:
    item = Item.load({"id": "1", "created": "2024-05-01T12:30:00.250Z"}, strict=True)
    assert item.created == datetime(2024, 5, 1, 12, 30, 0, 250000, tzinfo=timezone.utc)
    item = Item.load({"id": "1", "created": "2024-05-01T12:30:00+02:00"}, strict=True)
    assert item.created is not None
    assert item.created.utcoffset() == timedelta(hours=2)


def test_every_annotation_form_on_a_model_both_modes() -> None:
    payload = {
        "plain": "p",
        "maybe": None,
        "anything": {"x": [1]},
        "obj": [1, 2],
        "raw_list": [1, "a"],
        "raw_dict": {"k": None},
        "level": 2,
        "day": "2023-02-03",
        "mode": 3,
        "nested_lists": [[1], [2, 3]],
        "maps_of_lists": {"a": [{"name": "n"}]},
        "optional_items": [None, {"name": "m"}],
    }
    for strict in (True, False):
        obj = Annotated.load(payload, strict=strict)
        assert obj.level is Level.HIGH
        assert obj.day == date(2023, 2, 3)
        assert obj.mode == 3
        assert obj.maps_of_lists == {"a": [Owner(name="n")]}
        assert obj.optional_items == [None, Owner(name="m")]
        assert obj.to_dict() == payload
    assert "counter" not in Annotated.schema().fields
    assert "_private" not in Annotated.schema().fields


# --- aliases, defaults, construction --------------------------------------------------------


def test_alias_round_trip() -> None:
    item = Item.load({"id": "1", "type": "special"}, strict=True)
    assert item.type_ == "special"
    assert item.to_dict() == {"id": "1", "type": "special"}
    assert Item(id="2", type_="x").to_dict() == {"id": "2", "type": "x"}
    assert Item.schema().fields["type_"].data_key == "type"


def test_unknown_key_equal_to_an_aliased_python_name() -> None:
    # "type_" is not a JSON name here, so it is an unknown field, not the aliased field.
    item = Item.load({"id": "1", "type": "real", "type_": "other"}, strict=True)
    assert item.type_ == "real"
    assert item.to_dict() == {"id": "1", "type": "real", "type_": "other"}


def test_defaults_are_not_shared() -> None:
    a = Defaults.load({}, strict=True)
    b = Defaults.load({}, strict=True)
    a.tags.append("x")
    a.meta["k"] = 1
    a.owner.name = "changed"
    a.made.append(3)
    assert b.tags == [] and b.meta == {} and b.owner.name == "default" and b.made == [1, 2]
    c, d = Defaults(), Defaults()
    c.tags.append("y")
    c.owner.tags.append("t")
    assert d.tags == [] and d.owner.tags == []
    lenient = Defaults.load({"tags": 5}, strict=False)
    assert lenient.meta == {} and lenient.meta is not Defaults.load({"tags": 5}).meta
    assert lenient.note is None


def test_defaults_leave_the_class_namespace() -> None:
    # Defaults live in the field declarations; the class attribute would share a mutable value.
    assert "tags" not in vars(Defaults)
    assert Defaults.schema() is Defaults.schema()


def test_field_default_and_factory_are_exclusive() -> None:
    with pytest.raises(TypeError):
        Field(default=1, default_factory=list)


def test_init_by_python_names_validates_nothing() -> None:
    item = Item(id=5, count="many", extra_thing=1)
    assert item.id == 5 and item.count == "many"
    assert item.type_ == "item" and item.labels == {}
    assert item.extra_thing == 1
    assert item.to_dict() == {"id": 5, "count": "many", "extra_thing": 1}
    assert Owner().name is None  # a missing required field reads as None


def test_unset_optional_fields_are_left_out_until_assigned() -> None:
    item = Item.load({"id": "1"}, strict=True)
    assert item.count == 0
    assert item.to_dict() == {"id": "1"}
    item.count = 7
    assert item.to_dict() == {"id": "1", "count": 7}
    assert Item.load({"id": "1", "owner": None}, strict=True).to_dict() == {"id": "1", "owner": None}


def test_inheritance_and_default_override() -> None:
    class Base(Model):
        id: str
        kind: str = "base"

    class Child(Base):
        kind = "child"
        extra: int = 1

    child = Child.load({"id": "x"}, strict=True)
    assert (child.id, child.kind, child.extra) == ("x", "child", 1)
    assert Base.load({"id": "y"}, strict=True).kind == "base"
    assert list(Child.schema().fields) == ["id", "kind", "extra"]


def test_field_names_that_shadow_schema_and_model_attributes() -> None:
    class Shadowing(Model):
        fields: list[str] = []
        many: bool = False
        load: int = 0
        schema: str = "s"
        to_dict: int = 1

    payload = {"fields": ["a"], "many": True, "load": 2, "schema": "x", "to_dict": 5}
    obj = Shadowing.load(payload, strict=True)
    assert (obj.fields, obj.many, obj.load, obj.schema, obj.to_dict) == (["a"], True, 2, "x", 5)
    assert Shadowing.schema().many is False  # the classmethods stay reachable on the class
    assert Shadowing.load({}, strict=True).to_dict == 1
    assert to_jsonable(obj) == payload


def test_base_model_keeps_everything_as_unknown() -> None:
    obj = Model.load({"a": 1, "b": [2]}, strict=True)
    assert obj.a == 1 and obj.to_dict() == {"a": 1, "b": [2]}


def test_unsupported_annotation_fails_when_the_schema_is_built() -> None:
    class Odd(Model):
        values: set[int]

    with pytest.raises(TypeError, match="unsupported annotation"):
        Odd.schema()


# --- forward references and self-reference -------------------------------------------------


def test_self_reference_three_levels() -> None:
    payload = {
        "text": "root",
        "replies": [
            {"text": "a", "replies": [{"text": "a1", "replies": [{"text": "a1x"}]}]},
            {"text": "b"},
        ],
    }
    root = Comment.load(payload, strict=True)
    assert isinstance(root.replies[0].replies[0], Comment)
    assert root.replies[0].replies[0].replies[0].text == "a1x"
    assert root.replies[1].replies == []
    with pytest.raises(ModelValidationError) as info:
        Comment.load({"text": "r", "replies": [{"text": "a", "replies": [{"text": 1}]}]}, strict=True)
    assert info.value.path == "replies[0].replies[0].text"
    lenient = Comment.load({"text": "r", "replies": [{"replies": [{"text": 2, "x": 1}]}]}, strict=False)
    assert lenient.replies[0].text is None
    assert lenient.replies[0].replies[0].text == 2 and lenient.replies[0].replies[0].x == 1


def test_forward_reference_to_a_later_class() -> None:
    post = Post.load(
        {"title": "t", "author": {"name": "a"}, "co_authors": [{"name": "b"}], "by_name": {"c": {"name": "c"}}},
        strict=True,
    )
    assert post.author == Author(name="a")
    assert post.co_authors == [Author(name="b")]
    assert post.by_name == {"c": Author(name="c")}


def test_forward_references_between_function_local_models() -> None:
    class LocalTree(Model):
        value: int
        children: list[LocalTree] = []
        leaf: Optional[LocalLeafX] = None

    class LocalLeafX(Model):
        label: str

    tree = LocalTree.load({"value": 1, "children": [{"value": 2, "leaf": {"label": "l"}}]}, strict=True)
    assert tree.children[0].leaf == LocalLeafX(label="l")


# --- unions ---------------------------------------------------------------------------------


def test_discriminated_union_picks_member_by_tag() -> None:
    shelter = Shelter.load(
        {"pets": [{"type": "dog", "name": "rex"}, {"type": "cat", "name": "tom", "indoor": False}]},
        strict=True,
    )
    assert isinstance(shelter.pets[0], Dog) and isinstance(shelter.pets[1], Cat)
    assert shelter.pets[1].indoor is False
    featured = Shelter.load({"pets": [], "featured": {"type": "dog", "name": "d"}}, strict=True).featured
    assert isinstance(featured, Dog)


def test_discriminated_union_errors_point_into_the_chosen_member() -> None:
    with pytest.raises(ModelValidationError) as info:
        Shelter.load({"pets": [{"type": "cat", "name": "a"}, {"type": "dog", "name": "b", "good": "yes"}]}, strict=True)
    assert info.value.path == "pets[1].good"
    assert str(info.value) == "Shelter: pets[1].good: Not a valid boolean."
    with pytest.raises(ModelValidationError) as info:
        Shelter.load({"pets": [{"type": "cow", "name": "c"}]}, strict=True)
    assert info.value.path == "pets[0].type"
    assert "'cat', 'dog'" in str(info.value)


def test_discriminated_union_lenient() -> None:
    shelter = Shelter.load({"pets": [{"type": "dog", "name": 5}, {"type": "cow", "moo": True}]}, strict=False)
    assert isinstance(shelter.pets[0], Dog) and shelter.pets[0].name == 5
    # An unknown tag still gives a model (the first member), with the data kept.
    assert isinstance(shelter.pets[1], Model)
    assert shelter.pets[1].to_dict() == {"type": "cow", "moo": True}


def test_plain_union_takes_first_member_that_validates() -> None:
    assert isinstance(Drawing.load({"shape": {"side": 2}}, strict=True).shape, Square)
    assert isinstance(Drawing.load({"shape": {"radius": 2}}, strict=True).shape, Circle)
    # Both could take {"side": 2, "radius": 1}: the first listed member wins.
    assert isinstance(Drawing.load({"shape": {"side": 2, "radius": 1}}, strict=True).shape, Square)
    assert Drawing.load({"shape": {"side": 1}, "value": "v"}, strict=True).value == "v"
    assert load_as(Union[float, int], 5, strict=True) == 5.0
    assert type(load_as(Union[int, float], 5, strict=True)) is int
    with pytest.raises(ModelValidationError) as info:
        Drawing.load({"shape": {"radius": "big"}}, strict=True)
    assert info.value.path == "shape.radius"
    with pytest.raises(ModelValidationError, match="Does not match any of: int, str"):
        Drawing.load({"shape": {"side": 1}, "value": 1.5}, strict=True)


def test_plain_union_lenient() -> None:
    drawing = Drawing.load({"shape": {"radius": "big"}, "value": [1]}, strict=False)
    assert isinstance(drawing.shape, Square)  # first model member: the mapping still becomes a model
    assert drawing.shape.radius == "big" and drawing.value == [1]


# --- strict errors --------------------------------------------------------------------------


def test_nested_error_path_and_message() -> None:
    data = {"id": "1", "owner": {"name": "o", "tags": ["a", "b", 3]}}
    with pytest.raises(ModelValidationError) as info:
        Item.load(data, strict=True)
    err = info.value
    assert err.model == "Item"
    assert err.path == "owner.tags[2]"
    assert err.messages == {"owner": {"tags": {2: ["Not a valid string."]}}}
    assert str(err) == "Item: owner.tags[2]: Not a valid string."
    assert isinstance(err, ValueError) and isinstance(err, GenaiBaseError)


def test_dict_key_error_path() -> None:
    with pytest.raises(ModelValidationError) as info:
        Item.load({"id": "1", "labels": {"ok": 1, "bad": "x"}}, strict=True)
    assert info.value.path == "labels[bad]"
    assert str(info.value) == "Item: labels[bad]: Not a valid integer."


def test_list_of_models_error_path() -> None:
    items = [_item_payload(n) for n in range(5)]
    items[3]["id"] = 3
    with pytest.raises(ModelValidationError) as info:
        Listing.load({"items": items, "total": 5}, strict=True)
    assert info.value.path == "items[3].id"
    assert str(info.value) == "Listing: items[3].id: Not a valid string."
    with pytest.raises(ModelValidationError) as info:
        load_as(list[Item], items, strict=True)
    assert info.value.model == "list[Item]"
    assert info.value.path == "[3].id"


def test_missing_and_null_messages() -> None:
    with pytest.raises(ModelValidationError, match=r"^Listing: total: Missing data for required field\.$"):
        Listing.load({"items": []}, strict=True)
    with pytest.raises(ModelValidationError, match=r"^Item: count: Field may not be null\.$"):
        Item.load({"id": "1", "count": None}, strict=True)
    with pytest.raises(ModelValidationError) as info:
        Item.load({"id": "1", "owner": "someone"}, strict=True)
    assert info.value.path == "owner"


def test_non_mapping_for_model_raises_in_both_modes() -> None:
    for strict in (True, False):
        with pytest.raises(ModelValidationError, match="expected an object, got str") as info:
            Item.load("x", strict=strict)  # type: ignore[arg-type]
        assert info.value.path == ""
    with pytest.raises(ModelValidationError):
        load_as(Item, ["x"], strict=True)


def test_model_validation_error_pickles() -> None:
    with pytest.raises(ModelValidationError) as info:
        Item.load({"id": 1}, strict=True)
    again = pickle.loads(pickle.dumps(info.value))
    assert (again.model, again.path, again.messages, str(again)) == (
        info.value.model,
        info.value.path,
        info.value.messages,
        str(info.value),
    )


# --- lenient mode ---------------------------------------------------------------------------


def test_lenient_keeps_unknown_fields() -> None:
    item = Item.load({"id": "1", "brand_new": {"x": 1}, "with-dash": 2}, strict=False)
    assert item.brand_new == {"x": 1}
    assert getattr(item, "with-dash") == 2
    assert item.to_dict() == {"id": "1", "brand_new": {"x": 1}, "with-dash": 2}
    # Strict mode keeps them as well: APIs add fields over time.
    assert Item.load({"id": "1", "brand_new": 1}, strict=True).brand_new == 1
    with pytest.raises(AttributeError):
        _ = item.not_there


def test_unknown_fields_can_be_assigned() -> None:
    item = Item.load({"id": "1", "later": 1}, strict=True)
    item.later = 2
    assert item.later == 2
    assert item.to_dict() == {"id": "1", "later": 2}


def test_lenient_keeps_mistyped_values_and_reads_missing_as_none() -> None:
    item = Item.load({"count": "abc", "owner": {"tags": "nope", "x": 1}, "color": "purple"}, strict=False)
    assert item.id is None
    assert item.count == "abc"
    assert item.color == "purple"
    assert isinstance(item.owner, Owner)  # nested mappings still become models
    assert item.owner.name is None and item.owner.tags == "nope" and item.owner.x == 1
    assert item.to_dict() == {"count": "abc", "owner": {"tags": "nope", "x": 1}, "color": "purple"}


def test_lenient_converts_what_is_valid() -> None:
    item = Item.load(
        {"id": 1, "score": 2, "created": "2024-01-01T00:00:00Z", "color": "green", "owner": {"name": "o"}},
        strict=False,
    )
    assert item.score == 2.0 and isinstance(item.score, float)
    assert item.created == datetime(2024, 1, 1, tzinfo=timezone.utc)
    assert item.color is Color.GREEN
    assert item.owner == Owner(name="o")


def test_lenient_top_level_junk_is_returned_as_is() -> None:
    assert load_as(Item, "x", strict=False) == "x"
    assert load_as(list[Item], {"not": "a list"}, strict=False) == {"not": "a list"}
    assert load_as(Optional[Item], 5, strict=False) == 5
    listing = load_as(list[Item], [{"id": "1"}, "junk", {"id": 2}], strict=False)
    assert listing[0] == Item(id="1") and listing[1] == "junk" and listing[2].id == 2


# --- round trip, to_jsonable, equality and repr ------------------------------------------


def test_round_trip_of_a_complex_payload() -> None:
    payload = {
        "items": [_item_payload(n) for n in range(3)],
        "total": 3,
        "cursor": {"next": "abc", "extra": [1, 2, {"deep": None}]},
    }
    listing = Listing.load(payload, strict=True)
    assert isinstance(listing.items[2].owner, Owner)
    assert listing.items[1].color is Color.GREEN
    assert listing.to_dict() == payload
    assert Listing.load(payload, strict=False).to_dict() == payload
    shelter_payload = {"pets": [{"type": "cat", "name": "c", "indoor": True}], "featured": {"type": "dog", "name": "d"}}
    assert Shelter.load(shelter_payload, strict=True).to_dict() == shelter_payload


def test_to_jsonable_gives_json_ready_data_nested_anywhere() -> None:
    owner = Owner(name="o")
    when = datetime(2024, 1, 1)
    body = {"owner": owner, "list": [owner, {"deep": (owner, 1)}], "when": when, "n": 1}
    out = to_jsonable(body)
    # the one encoding of request data: models, dates and tuples alike (see _jsonenc)
    assert out == {"owner": {"name": "o"}, "list": [{"name": "o"}, {"deep": [{"name": "o"}, 1]}],
                   "when": "2024-01-01T00:00:00", "n": 1}
    assert to_jsonable(owner) == {"name": "o"}
    assert to_jsonable("text") == "text"
    item = Item(id="1", created=when, color=Color.GREEN, owner=owner)
    assert to_jsonable([item]) == [
        {"id": "1", "created": "2024-01-01T00:00:00", "color": "green", "owner": {"name": "o"}}
    ]


def test_equality() -> None:
    a = Item.load({"id": "1", "x": 1}, strict=True)
    assert a == Item.load({"id": "1", "x": 1}, strict=False)
    assert a != Item.load({"id": "1", "x": 2}, strict=True)  # unknown fields count
    assert a != Item.load({"id": "1"}, strict=True)
    assert Item(id="1") == Item.load({"id": "1"}, strict=True)

    class OtherItem(Model):
        id: str

    assert Owner(name="1") != OtherItem(id="1")
    assert Author(name="a") != Owner(name="a")
    with pytest.raises(TypeError):
        hash(a)


def test_repr() -> None:
    assert repr(Owner(name="a", tags=["x"])) == "Owner(name='a', tags=['x'])"
    assert repr(Author.load({"name": "n", "extra": 1, "odd-key": 2})) == "Author(name='n', extra=1, **{'odd-key': 2})"
    tree = Comment(text="a")
    tree.replies.append(tree)  # a cycle must not recurse forever
    assert repr(tree) == "Comment(text='a', replies=[...])"


def test_copy_and_pickle() -> None:
    item = Item.load({"id": "1", "owner": {"name": "o"}, "new": [1]}, strict=True)
    for clone in (copy.copy(item), copy.deepcopy(item), pickle.loads(pickle.dumps(item))):
        assert clone == item
        assert clone.new == [1]
        assert clone.to_dict() == item.to_dict()


# --- schema caching and performance ---------------------------------------------------------


def test_schema_is_generated_marshmallow_and_cached() -> None:
    schema = Item.schema()
    assert isinstance(schema, marshmallow.Schema)
    assert schema is Item.schema()
    assert schema.unknown == marshmallow.INCLUDE
    assert isinstance(schema.fields["count"], marshmallow.fields.Integer)
    assert isinstance(schema.fields["owner"], marshmallow.fields.Nested)
    assert isinstance(schema.fields["created"], marshmallow.fields.DateTime)
    assert isinstance(schema.fields["color"], marshmallow.fields.Enum)
    assert schema.fields["id"].required and not schema.fields["count"].required


@pytest.mark.slow
def test_ten_thousand_items_parse_with_one_schema() -> None:
    class BulkItem(Model):
        id: str
        name: str
        count: int = 0
        score: float = 0.0
        created: Optional[datetime] = None
        owner: Optional[Owner] = None
        tags: list[str] = []

    data = [
        {
            "id": str(n),
            "name": f"item {n}",
            "count": n,
            "score": n * 0.5,
            "created": "2024-01-01T00:00:00Z",
            "owner": {"name": "o"},
            "tags": ["t"],
            "unknown": n,
        }
        for n in range(10_000)
    ]
    start = time.perf_counter()
    items = load_as(list[BulkItem], data, strict=True)
    elapsed = time.perf_counter() - start
    assert len(items) == 10_000
    assert all(isinstance(it, BulkItem) for it in items)
    assert items[9_999].id == "9999" and items[9_999].count == 9_999 and items[9_999].unknown == 9_999
    assert items[5].owner == Owner(name="o")
    assert items[0].to_dict() == data[0] | {"score": 0.0, "created": "2024-01-01T00:00:00+00:00"}
    lenient = load_as(list[BulkItem], data, strict=False)
    assert lenient == items
    # One construction of each generated schema class, however many items were loaded.
    assert type(BulkItem.schema()).instances_created == 1
    assert BulkItem.schema() is BulkItem.schema()
    assert elapsed < 10  # generous: only catches a per-item schema build


# --- property tests -------------------------------------------------------------------------


class Fuzz(Model):
    s: str
    i: int = 0
    f: float = 0.0
    b: Optional[bool] = None
    when: Optional[datetime] = None
    day: Optional[date] = None
    color: Color = Color.RED
    level: Level = Level.LOW
    kind: Literal["a", "b"] = "a"
    tags: list[str] = []
    scores: dict[str, float] = {}
    owner: Optional[Owner] = None
    pets: list[Union[Cat, Dog]] = []
    either: Union[int, str, None] = None
    shape: Optional[Union[Square, Circle]] = None
    anything: Any = None
    children: list[Fuzz] = []
    alias_: Optional[str] = Field(default=None, alias="alias")


_FUZZ_KEYS = [*Fuzz.schema().fields, "alias", "type", "name", "radius", "side", "text"]

json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8)
json_values = st.recursive(
    json_scalars | st.sampled_from(["2024-01-01T00:00:00Z", "2024-01-01", "red", "green", "cat", "dog", "a"]),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(_FUZZ_KEYS) | st.text(max_size=5), children, max_size=6)
    ),
    max_leaves=25,
)


# Objects shaped like Fuzz (required key present, any subset of the others) reach the
# strict success path far more often than arbitrary mappings do.
fuzz_objects = st.fixed_dictionaries(
    {"s": st.text(max_size=5)},
    optional={key: json_values for key in _FUZZ_KEYS if key != "s"},
)


@pytest.mark.slow
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(json_values | fuzz_objects)
def test_fuzz_lenient_never_raises_and_strict_raises_only_model_errors(value: Any) -> None:
    lenient = load_as(Fuzz, value, strict=False)
    if isinstance(value, dict):
        assert isinstance(lenient, Fuzz)
        lenient.to_dict()
        repr(lenient)
    else:
        assert lenient is value
    try:
        strict = load_as(Fuzz, value, strict=True)
    except ModelValidationError as error:
        assert str(error).startswith("Fuzz")
    else:
        assert strict == lenient  # valid data loads the same way in both modes
    for annotation in (list[Fuzz], dict[str, Fuzz], Optional[Union[Cat, Dog]], Union[int, Fuzz]):
        load_as(annotation, value, strict=False)
        try:
            load_as(annotation, value, strict=True)
        except ModelValidationError:
            pass


@pytest.mark.slow
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fuzz_objects)
def test_fuzz_lenient_construction_agrees_with_validated_load(value: dict[str, Any]) -> None:
    # The lenient construction (the reference and the compiled builder) must build, for
    # data that is valid, exactly what the validated marshmallow path builds.
    try:
        strict = Fuzz.load(value, strict=True)
    except ModelValidationError:
        return
    for built in (construct_model(Fuzz, value), Fuzz.load(value, strict=False)):
        assert built == strict
        assert built.to_dict() == strict.to_dict()
