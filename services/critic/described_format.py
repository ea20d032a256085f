"""A value against the way its field's description says it is written.

Function descriptions often spell out a format with an example ("The city, formatted as 'City, State',
such as 'Berkeley, CA'"). JSON Schema cannot say it, so the constrained decoder does not enforce it, and a
value of another shape ("Chi-town", "Los Angeles" alone) is not what the callee parses. Judged by shape
only, and only where the description speaks of a format or gives an example ("such as 'New York, NY'",
"e.g.", "for example") and quotes one with a comma: how many comma-separated parts, and whether the last
is a two-letter code as in the example. On the calibration drafts (BFCL, 420): 12 values off every
example's shape, all in wrong drafts (5 of them accepted), with a format spoken of; with an example alone
too, over every stored draft (`bench/argument_checks.py`): 10 more values flagged, 9 wrong, and 2 of
the 876 BFCL answers ("Ciudad de Mexico, CDMX" for 'New York, NY')."""

from typing import Any

from schemas import Verdict
from services.critic.request_choices import filled_fields
from services.documents.example_shapes import unlike_examples
from services.documents.written_forms import described_form


def described_format_verdicts(output: Any, schema: dict[str, Any], *texts: str | None) -> list[Verdict]:
    """`format` verdicts for strings shaped like none of their description's examples (code `described`:
    the refiner rewrites the value) and for values the description asks for in a form that follows from
    the value alone (code `restate`: a percentage, a date order; repaired without a model)."""
    verdicts = []
    for field in filled_fields(output, schema):
        restated = described_form(field.schema, field.value, *texts)
        if restated is not None:
            message = f"the field's description asks for {restated!r}, not {field.value!r}"
            verdicts.append(Verdict(pointer=field.pointer, kind="format", code="restate", message=message))
        examples = unlike_examples(field.value, field.schema)
        if examples:
            message = f"{field.value!r} is not written like {examples[-1]!r}, as the field's description asks"
            verdicts.append(Verdict(pointer=field.pointer, kind="format", code="described", message=message))
    return verdicts
