"""Repairs that need no model: applied before any token is spent."""

import copy
import re
from typing import Any

from schemas import Critique, Verdict
from services.common.segments import get, subschema


def _allowed(schema: dict[str, Any], key: str) -> bool:
    if key in (schema.get("properties") or {}):
        return True
    return any(re.search(pattern, key) for pattern in (schema.get("patternProperties") or {}))


def drop_extra_properties(output: Any, schema: dict[str, Any], pointer: str) -> bool:
    """`additionalProperties: false` violated: delete the keys the schema does not allow."""
    target = get(output, pointer)
    sub = subschema(schema, pointer)
    if not isinstance(target, dict) or sub.get("additionalProperties") is not False:
        return False
    for key in [k for k in target if not _allowed(sub, k)]:
        del target[key]
    return True


def deterministic_repairs(critique: Critique) -> tuple[Any, list[Verdict]]:
    """(patched output, verdicts still needing the model)."""
    output = copy.deepcopy(critique.output)
    remaining = []
    for verdict in critique.verdicts:
        if verdict.code == "additionalProperties" and drop_extra_properties(
            output, critique.request.json_schema, verdict.pointer
        ):
            continue
        remaining.append(verdict)
    return output, remaining
