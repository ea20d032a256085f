"""Deterministic checks of a draft: parse, JSON Schema with formats; one verdict per failing pointer."""

from typing import Any

from jsonschema import ValidationError

from schemas import Draft, Verdict
from services.critic.asked_fields import asked_field_verdicts
from services.critic.consistency import derived_pointers, repeated_items, rule_verdicts
from services.critic.described_format import described_format_verdicts
from services.critic.grounding import GroundingChecker
from services.critic.menu_choice import menu_choice_verdicts
from services.critic.menu_judge import MenuJudge
from services.critic.request_choices import RequestReading, request_choice_verdicts
from services.critic.request_coverage import request_coverage_verdicts
from services.critic.request_support import request_support_verdicts
from services.documents.segments import join
from services.documents.validation import validator


def _pointer(error: ValidationError) -> str:
    pointer = ""
    for key in error.absolute_path:
        pointer = join(pointer, key)
    return pointer


def _verdicts_for(error: ValidationError) -> list[Verdict]:
    base = _pointer(error)
    if error.validator == "required" and isinstance(error.instance, dict):
        missing = [p for p in error.validator_value if p not in error.instance]
        return [
            Verdict(
                pointer=join(base, name),
                kind="schema",
                message=f"required property {name!r} is missing",
                code="required",
            )
            for name in missing
        ]
    kind = "format" if error.validator == "format" else "schema"
    return [
        Verdict(pointer=base, kind=kind, message=f"{error.validator}: {error.message}"[:500], code=str(error.validator))
    ]


def schema_verdicts(output: Any, schema: dict[str, Any]) -> list[Verdict]:
    verdicts: dict[tuple[str, str], Verdict] = {}
    for error in validator(schema).iter_errors(output):
        for verdict in _verdicts_for(error):
            verdicts.setdefault((verdict.pointer, verdict.message), verdict)
    return list(verdicts.values())


def _failing(verdicts: list[Verdict]) -> set[str]:
    """The pointers with an error: later checks leave them alone (one problem at a time per field)."""
    return {v.pointer for v in verdicts if v.severity == "error"}


def check_draft(
    draft: Draft, grounding: GroundingChecker | None = None, menu_judge: MenuJudge | None = None
) -> list[Verdict]:
    """Every check that applies: parse, schema + formats, the request's rules, grounding in its context or,
    without one, in the request itself, both ways (unless it is creative): nothing made up, nothing stated
    dropped, no call the ask does not mean (by its words, then by the judge's reading)."""
    if not draft.parsed:
        cut = " (generation hit its token limit)" if draft.truncated else ""
        return [Verdict(pointer="", kind="parse", message=f"output is not valid JSON{cut}")]
    request = draft.request
    verdicts = schema_verdicts(draft.output, request.json_schema)
    verdicts += rule_verdicts(draft.output, request.rules, _failing(verdicts))
    failing = _failing(verdicts)
    verdicts += [
        v
        for v in described_format_verdicts(draft.output, request.json_schema, request.prompt, request.context)
        if v.pointer not in failing
    ]
    source = request.context or request.prompt
    failing = _failing(verdicts)
    verdicts += [
        v
        for v in repeated_items(draft.output, request.json_schema, source, strings_only=not request.context)
        if v.pointer not in failing
    ]
    if request.context and grounding is not None:
        failing = _failing(verdicts)
        grounded = grounding.verdicts(
            draft.output, request.json_schema, request.context, derived_pointers(request.rules)
        )
        verdicts += [v for v in grounded if v.pointer not in failing]
    elif request.answered_by_request:
        derived = derived_pointers(request.rules)
        failing = _failing(verdicts)
        supported = request_support_verdicts(draft.output, request.json_schema, request.prompt, derived)
        verdicts += [v for v in supported if v.pointer not in failing]
        failing = _failing(verdicts)
        reading = RequestReading(request.prompt)
        chosen = request_choice_verdicts(draft.output, request.json_schema, reading, derived)
        verdicts += [v for v in chosen if v.pointer not in failing]
        called = menu_choice_verdicts(draft.output, request.json_schema, reading)
        if not called and menu_judge is not None:
            called = menu_judge.verdicts(draft.output, request.json_schema, request.prompt)
        verdicts += called
        if not _failing(verdicts):  # a draft still being fixed is judged once its fields are
            dropped = request_coverage_verdicts(draft.output, request.json_schema, request.prompt)
            if not dropped and draft.round == 0:  # asked once: what the model then writes is judged as any value
                dropped = asked_field_verdicts(draft.output, request.json_schema, request.prompt)
            verdicts += dropped
    return verdicts
