from services.documents.segments import get, outermost, patch, subschema

SCHEMA = {
    "type": "object",
    "properties": {
        "order": {
            "type": "object",
            "properties": {
                "items": {"type": "array", "items": {"$ref": "#/$defs/item"}},
                "pair": {"type": "array", "prefixItems": [{"type": "string"}, {"type": "integer"}]},
            },
        },
        "tags": {"type": "object", "additionalProperties": {"type": "string", "maxLength": 3}},
        "a/b": {"type": "boolean"},
    },
    "$defs": {"item": {"type": "object", "properties": {"price": {"type": "number", "minimum": 0}}}},
}


def test_subschema_follows_properties_items_and_refs() -> None:
    item = subschema(SCHEMA, "/order/items/2")
    assert item["properties"]["price"]["minimum"] == 0
    assert "$defs" in item  # refs inside the sub-schema still resolve
    assert subschema(SCHEMA, "/order/items/0/price")["minimum"] == 0
    assert subschema(SCHEMA, "/order/pair/1")["type"] == "integer"
    assert subschema(SCHEMA, "/tags/anything")["maxLength"] == 3
    assert subschema(SCHEMA, "/a~1b")["type"] == "boolean"
    assert subschema(SCHEMA, "") is SCHEMA
    assert subschema(SCHEMA, "/nope/deeper") == {}


def test_patch_nested_objects_and_arrays() -> None:
    doc = {"order": {"items": [{"price": -1}, {"price": 2}]}, "a/b": True}
    patch(doc, "/order/items/0/price", 5)
    patch(doc, "/order/items/-", {"price": 1})
    patch(doc, "/order/note/text", "new")  # missing parents are created
    patch(doc, "/a~1b", False)
    assert doc == {
        "order": {"items": [{"price": 5}, {"price": 2}, {"price": 1}], "note": {"text": "new"}},
        "a/b": False,
    }
    assert get(doc, "/order/items/1/price") == 2
    assert patch(doc, "", [1]) == [1]


def test_outermost_drops_children_of_failing_parents() -> None:
    assert outermost(["/a/b", "/a", "/c/0", "/c/1", "/ab"]) == ["/a", "/ab", "/c/0", "/c/1"]
    assert outermost(["/x", ""]) == [""]
