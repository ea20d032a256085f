"""Calibration records judged again from their stored drafts: today's checks and BFCL's answer rule, no model."""

from pathlib import Path

import orjson

from refinery.calibrate import rejudge, rejudge_file
from schemas import GenerationRequest

TRUTH = [{"Flights_Search": {"origin": ["Chicago"], "destination": ["Shanghai"], "airline": ["", "dontcare"]}}]
REQUEST = GenerationRequest.model_validate(
    {
        "id": "bfcl-live-1",
        "prompt": "A one-way flight from Chicago to Shanghai.",
        "schema": {
            "type": "object",
            "properties": {
                "Flights_Search": {
                    "type": "object",
                    "properties": {
                        "origin": {"type": "string"},
                        "destination": {"type": "string"},
                        "airline": {"type": "string", "description": "default 'dontcare'"},
                    },
                    "required": ["origin", "destination"],
                }
            },
            "required": ["Flights_Search"],
        },
        "budget": {"max_tokens": 500},
        "metadata": {"category": "live_multiple", "ground_truth": TRUTH},
    }
)


def record(output: dict) -> dict:
    old = {"accepted": True, "correct": True, "passed": True, "verdicts": []}
    return {"task": REQUEST.id, "tier": "large", **old, "output": output}


def test_a_made_up_value_is_no_longer_accepted_nor_right() -> None:
    judged = rejudge(record({"Flights_Search": {"origin": "JFK", "destination": "Shanghai"}}), REQUEST)
    assert judged["accepted"] is False and judged["correct"] is False and judged["passed"] is False
    assert judged["verdicts"] == ["grounding:request"]


def test_a_supported_right_draft_stays_accepted_and_right() -> None:
    output = {"Flights_Search": {"origin": "chicago", "destination": "Shanghai", "airline": "dontcare"}}
    judged = rejudge(record(output), REQUEST)
    assert judged["accepted"] is True and judged["correct"] is True and judged["verdicts"] == []


def test_records_without_a_stored_draft_are_kept(tmp_path: Path) -> None:
    old = {"task": REQUEST.id, "tier": "small", "accepted": True, "correct": True, "passed": True}
    changed = record({"Flights_Search": {"origin": "JFK", "destination": "Shanghai"}})
    path = tmp_path / "calibration.jsonl"
    path.write_bytes(orjson.dumps(old) + b"\n" + orjson.dumps(changed) + b"\n")
    assert rejudge_file([REQUEST], path) == 1
    first, second = (orjson.loads(line) for line in path.read_bytes().splitlines())
    assert first == old and second["accepted"] is False


def test_a_draft_the_refiner_settles_without_a_model_is_judged_repaired_and_keeps_its_draft() -> None:
    drafted = {"Flights_Search": {"origin": "Chicago", "destination": "Shanghai", "airline": "United"}}
    judged = rejudge(record(drafted), REQUEST)
    assert judged["output"] == {"Flights_Search": {"origin": "Chicago", "destination": "Shanghai"}}
    assert judged["draft"] == drafted
    assert judged["accepted"] is True and judged["correct"] is True and judged["verdicts"] == []
    assert rejudge(judged, REQUEST) == judged  # judged again from the same draft: the same record
