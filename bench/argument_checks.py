"""Arguments left out that the ask asks for, set while unasked, or written unlike the description's
example: the deterministic checks that judge them, re-run over every stored draft
(bench/stored_drafts.py), no model.

BFCL's answers say which optional arguments a right call must give (no "" among their values) and which
it may leave out. Per split (`tuning`: the tasks the rules were shaped on; `held_out`: training.held_out,
never looked at; the 24 fresh e2e tasks are left out of both):
- `passing`: drafts every deterministic check passes, right and wrong: a wrong one passing is what the
  model checks (confidence, second opinion) are left to catch, or a false accept;
- `booleans_by_ask`: booleans and yes/no enums judged unasked now that only the ask (the prompt's first
  line) can ask for them, not a menu or a function description after it; the refiner drops them, so their
  effect is computed: wrong drafts made right by the drop, right ones made wrong;
- `options_named`: optional fields left out while the ask names one of their options; the refiner fills
  them with the model, so here only: right drafts flagged (a refine round spent on a right draft, and a
  risk), wrong drafts whose flagged field is their error;
- `example_shapes`: values shaped like none of the examples a description introduces ("such as 'New York,
  NY'") where it does not speak of a format; the refiner rewrites them with the model: right values
  flagged, wrong ones; and BFCL's own answers flagged (none of their allowed values in an example's shape).
Writes bench/results/argument_checks.json.

    .venv/bin/python -m bench.argument_checks
"""

import copy
import platform
from collections import Counter
from pathlib import Path
from typing import Any

import orjson

from bench.stored_drafts import E2E_FRESH_POSITIONS, distinct_outputs
from schemas import Draft, GenerationRequest
from services.classifier.training import held_out
from services.critic.asked_fields import asked_left_out
from services.critic.request_choices import BOOLEAN_WORDS, RequestReading, filled_fields, unasked_choices
from services.critic.validators import check_draft
from services.documents.bfcl import bfcl_requests, task_correct
from services.documents.bfcl_answers import mismatched_keys
from services.documents.example_shapes import described_examples, shape, unlike_examples
from services.documents.names import name_words
from services.documents.repairs import drop_ungrounded

SPLITS = ("tuning", "held_out")
OUT = Path(__file__).resolve().parents[1] / "bench" / "results" / "argument_checks.json"


def errors(output: Any, request: dict[str, Any]) -> set[str]:
    """Names of the arguments a draft gets wrong under BFCL's rule ("call" for another function)."""
    [(function, expected)] = request["metadata"]["ground_truth"][0].items()
    arguments = output
    if request["metadata"]["category"] == "live_multiple":
        if not isinstance(output, dict) or list(output) != [function]:
            return {"call"}
        arguments = output[function]
    if not isinstance(arguments, dict):
        return {"call"}
    return mismatched_keys(arguments, expected)


def right(output: Any, request: dict[str, Any]) -> bool:
    return bool(task_correct(request["metadata"], output))


def without(output: Any, schema: dict[str, Any], pointers: set[str]) -> Any:
    """The output with the values at `pointers` dropped, as the refiner drops unasked ones."""
    output = copy.deepcopy(output)
    for pointer in pointers:
        drop_ungrounded(output, schema, pointer)
    return output


def anywhere_booleans(output: Any, request: dict[str, Any], reading: RequestReading) -> set[str]:
    """The reading before: a boolean or yes/no enum was asked for when the whole prompt, menu included,
    has a word of its name."""
    return {
        f.pointer
        for f in filled_fields(output, request["schema"])
        if any(reading.known.knows(w) for w in name_words(f.name))
    }


def yes_or_no(value: Any) -> bool:
    return isinstance(value, bool) or (isinstance(value, str) and value.lower() in BOOLEAN_WORDS)


def shaped_otherwise(output: Any, schema: dict[str, Any]) -> set[str]:
    """Names of the string fields shaped like none of the examples their description introduces, where it
    spells out no format (what the example rule adds)."""
    return {
        f.name
        for f in filled_fields(output, schema)
        if unlike_examples(f.value, f.schema) and not unlike_examples(f.value, f.schema, by_example=False)
    }


def answer_unlike_examples(request: dict[str, Any]) -> bool:
    """BFCL's answer has an argument none of whose allowed values is in the shape of an example that only
    an introduced example (not a described format) asks for."""
    [(function, expected)] = request["metadata"]["ground_truth"][0].items()
    arguments = {name: allowed[0] for name, allowed in expected.items() if allowed and allowed[0] != ""}
    output = {function: arguments} if request["metadata"]["category"] == "live_multiple" else arguments
    flagged = shaped_otherwise(output, request["schema"])
    fields = {f.name: f.schema for f in filled_fields(output, request["schema"])}
    return any(
        not any(
            isinstance(v, str) and shape(v) in {shape(e) for e in described_examples(fields[name])}
            for v in expected[name]
        )
        for name in flagged
    )


def judged(task: str, output: Any, request: dict[str, Any]) -> dict[str, Any]:
    draft = Draft(request=GenerationRequest.model_validate(request), tier="large", received_at_ms=0, output=output)
    reading = RequestReading(request["prompt"])
    choices = [c for c in unasked_choices(output, request["schema"], reading) if yes_or_no(c.value)]
    by_ask = {c.pointer for c in choices} & anywhere_booleans(output, request, reading)
    options = set(asked_left_out(output, request["schema"], request["prompt"])) - set(
        asked_left_out(output, request["schema"], request["prompt"], by_options=False)
    )
    return {
        "task": task,
        "right": right(output, request),
        "errors": sorted(errors(output, request)),
        "passes": not [v for v in check_draft(draft) if v.severity == "error"],
        "booleans_by_ask": sorted(by_ask),
        "right_after_drop": right(without(output, request["schema"], by_ask), request) if by_ask else None,
        "options_named": sorted(options),
        "example_shapes": sorted(shaped_otherwise(output, request["schema"])),
    }


def split_view(rows: list[dict[str, Any]]) -> dict[str, Any]:
    passing = [r for r in rows if r["passes"]]
    dropped = [r for r in rows if r["booleans_by_ask"]]
    named = [r for r in rows if r["options_named"]]
    named_is_error = [r for r in named if {p.rsplit("/", 1)[-1] for p in r["options_named"]} & set(r["errors"])]
    shaped = [(r, name) for r in rows for name in r["example_shapes"]]
    return {
        "drafts": len(rows),
        "right": sum(r["right"] for r in rows),
        "passing": {"right": sum(r["right"] for r in passing), "wrong": sum(not r["right"] for r in passing)},
        "passing_wrong_by_error": dict(
            Counter("call" if "call" in r["errors"] else "argument" for r in passing if not r["right"])
        ),
        "booleans_by_ask": {
            "flagged": len(dropped),
            "wrong_made_right": sum(not r["right"] and r["right_after_drop"] for r in dropped),
            "right_made_wrong": sum(r["right"] and not r["right_after_drop"] for r in dropped),
            "wrong_left_wrong": sum(not r["right"] and not r["right_after_drop"] for r in dropped),
            "right_left_right": sum(r["right"] and r["right_after_drop"] for r in dropped),
        },
        "options_named": {
            "flagged": len(named),
            "right_flagged": sum(r["right"] for r in named),
            "wrong_flagged_for_their_error": len(named_is_error),
            "wrong_flagged_otherwise": sum(not r["right"] for r in named) - len(named_is_error),
        },
        "example_shapes": {
            "values_flagged": len(shaped),
            "wrong_values": sum(name in r["errors"] for r, name in shaped),
            "right_values": sum(name not in r["errors"] for r, name in shaped),
        },
    }


def main() -> None:
    live = bfcl_requests(category="live_multiple")
    fresh = {live[i]["id"] for i in E2E_FRESH_POSITIONS}
    requests = {r["id"]: r for r in [*bfcl_requests(category="simple_python"), *live] if r["id"] not in fresh}
    rows = [judged(task, output, requests[task]) for task, output in distinct_outputs(set(requests))]
    answers = {split: [r for r in requests.values() if held_out(r["id"]) == (split == "held_out")] for split in SPLITS}
    result = {
        "machine": platform.machine(),
        "llm_tokens_per_check": 0,
        "left_out": "the 24 fresh e2e tasks (bench/stored_drafts.E2E_FRESH_POSITIONS)",
        "splits": {
            split: split_view([r for r in rows if held_out(r["task"]) == (split == "held_out")])
            | {
                "answers": len(answers[split]),
                "answers_unlike_examples": sum(map(answer_unlike_examples, answers[split])),
            }
            for split in SPLITS
        },
        "examples": [r for r in rows if r["booleans_by_ask"] or r["options_named"] or r["example_shapes"]],
    }
    OUT.write_bytes(orjson.dumps(result, option=orjson.OPT_INDENT_2) + b"\n")
    print(orjson.dumps(result["splits"], option=orjson.OPT_INDENT_2).decode())


if __name__ == "__main__":
    main()
