"""A looser schema to decode by when the decoder refuses the request's own: the critic still judges the
output against the original, so relaxing only moves work from the mask to the checks.

- `oneOf` → `anyOf` (exactly-one is a check, not a shape);
- conditionals, negations and dependencies dropped (`if`/`then`/`else`, `not`, `dependencies`,
  `dependentRequired`, `dependentSchemas`): the unconditional shape still guides the decoder;
- a `format` the decoder does not know (`path`, `host-name`, `topic`…) decodes as a plain string."""

from typing import Any

from services.documents.schema_walk import ALL_KEYWORDS, map_children

DROPPED = frozenset({"if", "then", "else", "not", "dependencies", "dependentRequired", "dependentSchemas"})
# Formats llguidance decodes; others are checked by the critic only.
DECODED_FORMATS = frozenset(
    {"date-time", "time", "date", "duration", "email", "hostname", "ipv4", "ipv6", "uuid", "uri", "uri-reference"}
)


def relaxed(schema: Any) -> Any:
    if not isinstance(schema, dict):
        return schema
    out = map_children(schema, lambda _, sub: relaxed(sub), ALL_KEYWORDS - DROPPED)  # dropped: not walked
    for key in DROPPED & out.keys():
        del out[key]
    if "oneOf" in out:
        branches = out.pop("oneOf")
        if "anyOf" in out:  # both: the oneOf branches become an anyOf inside allOf
            out["allOf"] = [*out.get("allOf", []), {"anyOf": branches}]
        else:
            out["anyOf"] = branches
    if isinstance(out.get("format"), str) and out["format"] not in DECODED_FORMATS:
        del out["format"]
    return out
