"""The generator's draft with the real small model: valid on BFCL schemas, deterministic, within budget."""

import pytest
from jsonschema import validate

from services.documents.bfcl import bfcl_requests, task_correct
from services.generator.drafting import generate_draft
from services.inference.budget import BudgetExceeded
from services.inference.prompts import generation_messages
from tests.conftest import SMALL as TIER
from tests.conftest import SMALL_SETTINGS, classified, make_request

MENU_TASK = "bfcl-live_multiple_811-176-2"  # get the alarms of user 12345: three calls on the menu


def test_constrained_drafts_satisfy_bfcl_schemas(engine, shared_data) -> None:
    for raw in bfcl_requests(limit=4, root=shared_data):
        draft = generate_draft(classified(raw), engine, TIER)
        assert draft.parsed, draft.text
        validate(draft.output, raw["schema"])
        [entry] = draft.ledger.entries
        assert entry.stage == "generator" and entry.model == TIER.model_name
        messages = generation_messages(raw["prompt"], raw["schema"], None, TIER.prompt)  # the tier's own prompt
        assert entry.input_tokens == engine.count_tokens(messages)
        assert entry.prompt_version == TIER.prompt.version
        assert 0 < entry.output_tokens <= TIER.max_new_tokens
        assert entry.ttft_ms is not None and entry.ttft_ms <= entry.duration_ms
        assert entry.cost == TIER.cost(entry.input_tokens, entry.output_tokens)


def test_generation_is_deterministic(engine, shared_data) -> None:
    raw = bfcl_requests(limit=1, root=shared_data)[0]
    first = generate_draft(classified(raw), engine, TIER)
    second = generate_draft(classified(raw), engine, TIER)
    assert first.output == second.output and first.ledger.tokens == second.ledger.tokens


def test_budget_too_small_for_the_prompt_is_refused_before_the_call(engine) -> None:
    with pytest.raises(BudgetExceeded):
        generate_draft(classified(make_request(budget={"max_tokens": 50})), engine, TIER)


def test_output_never_exceeds_the_budget(engine) -> None:
    schema = {"type": "object", "properties": {"story": {"type": "string"}}, "required": ["story"]}
    message = classified(make_request(prompt="Write a long story.", schema=schema, budget={"max_tokens": 150}))
    draft = generate_draft(message, engine, TIER)
    assert draft.ledger.tokens <= 150


def test_a_menu_drafted_as_a_tool_call_by_qwen_is_the_menus_call(shared_data) -> None:
    """Qwen 0.5B (the smallest tier with a tool-calling template) on a BFCL menu the calibration set's
    0.5B drafts got right in both formats: its tool call comes back as the menu's call, valid under it."""
    from services.inference.engines.registry import build_engine
    from services.inference.tiers import load_tiers

    medium = load_tiers(SMALL_SETTINGS.tiers_file)["medium"].model_copy(update={"menu_format": "tool_calls"})
    qwen = build_engine(medium, SMALL_SETTINGS)
    raw = next(r for r in bfcl_requests(category="live_multiple", root=shared_data) if r["id"] == MENU_TASK)
    draft = generate_draft(classified(raw), qwen, medium)
    validate(draft.output, raw["schema"])
    assert task_correct(raw["metadata"], draft.output), draft.output
    assert draft.ledger.entries[0].note == "as a tool call"
