"""A round's repairs that need no model, in order, applied before any token is spent."""

import copy
from typing import Any

from schemas import Critique, GenerationRequest, Verdict
from services.documents.context_values import settle_from_context
from services.documents.repairs import MISSING, compute_from_rules, drop_extra_properties, drop_items, drop_ungrounded
from services.documents.segments import get, patch, subschema
from services.documents.written_forms import described_form


def deterministic_repairs(critique: Critique) -> tuple[Any, list[Verdict]]:
    """(patched output, verdicts still needing the model)."""
    output = copy.deepcopy(critique.output)
    schema = critique.request.json_schema
    remaining: list[Verdict] = []
    settled = drop_items(output, schema, critique.verdicts)
    for verdict in critique.verdicts:
        if verdict.pointer in settled:
            continue
        if verdict.code == "additionalProperties" and drop_extra_properties(output, schema, verdict.pointer):
            continue
        if verdict.kind == "consistency" and compute_from_rules(output, critique.request, verdict.pointer):
            continue
        if verdict.code == "restate" and _restate(output, critique.request, verdict.pointer):
            continue
        if verdict.kind == "grounding" and get(output, verdict.pointer, MISSING) is MISSING:
            continue  # already gone with an omitted parent
        if settle_from_context(critique, output, verdict.pointer):
            settled.add(verdict.pointer)
            continue
        if verdict.kind == "grounding" and drop_ungrounded(output, schema, verdict.pointer):
            continue
        remaining.append(verdict)
    return output, remaining


def _restate(output: Any, request: GenerationRequest, pointer: str) -> bool:
    """A value in another form than its description asks for (documents/written_forms.py): write it so."""
    restated = described_form(
        subschema(request.json_schema, pointer), get(output, pointer), request.prompt, request.context
    )
    if restated is None:
        return False
    patch(output, pointer, restated)
    return True
