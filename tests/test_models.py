"""Real model (SmolLM2-135M via llama.cpp), no broker: engine, generator and refiner logic."""

import json

import pytest
from jsonschema import validate

from schemas import Classification, ClassifiedRequest, Critique, GenerationRequest, Ledger, Verdict
from services.client.datasets import bfcl_requests
from services.common.budget import BudgetExceeded
from services.common.engines import SchemaCompileError
from services.common.engines.bounds import bounded
from services.common.engines.registry import build_engine
from services.common.prompts import generation_messages
from services.common.settings import Settings
from services.common.tiers import load_tiers
from services.generator.logic import generate_draft
from services.refiner.logic import refine
from tests.conftest import make_request

SETTINGS = Settings(model_threads=2)
TIER = load_tiers(SETTINGS.tiers_file)["small"]


@pytest.fixture(scope="module")
def engine():
    return build_engine(TIER, SETTINGS)


def classified(raw: dict) -> ClassifiedRequest:
    request = GenerationRequest.model_validate(raw)
    return ClassifiedRequest(
        request=request, tier="small", received_at_ms=0, classification=Classification(complexity=0, reason="test")
    )


def test_constrained_drafts_satisfy_bfcl_schemas(engine, shared_data) -> None:
    for raw in bfcl_requests(limit=4, root=shared_data):
        draft = generate_draft(classified(raw), engine, TIER)
        assert draft.parsed, draft.text
        validate(draft.output, raw["schema"])
        [entry] = draft.ledger.entries
        assert entry.stage == "generator" and entry.model == TIER.model_name
        messages = generation_messages(raw["prompt"], raw["schema"], None)
        assert entry.input_tokens == engine.count_tokens(messages)
        assert 0 < entry.output_tokens <= TIER.max_new_tokens
        assert entry.ttft_ms is not None and entry.ttft_ms <= entry.duration_ms
        assert entry.cost == TIER.cost(entry.input_tokens, entry.output_tokens)


def test_generation_is_deterministic(engine, shared_data) -> None:
    raw = bfcl_requests(limit=1, root=shared_data)[0]
    first = generate_draft(classified(raw), engine, TIER)
    second = generate_draft(classified(raw), engine, TIER)
    assert first.output == second.output and first.ledger.tokens == second.ledger.tokens


def test_unsupported_schema_is_a_compile_error(engine) -> None:
    with pytest.raises(SchemaCompileError, match=r"look-around|pattern"):
        engine.complete(generation_messages("x", {}, None), {"type": "string", "pattern": "^(?=a)b$"}, 10)


def test_budget_too_small_for_the_prompt_is_refused_before_the_call(engine) -> None:
    with pytest.raises(BudgetExceeded):
        generate_draft(classified(make_request(budget={"max_tokens": 50})), engine, TIER)


def test_output_never_exceeds_the_budget(engine) -> None:
    schema = {"type": "object", "properties": {"story": {"type": "string"}}, "required": ["story"]}
    message = classified(make_request(prompt="Write a long story.", schema=schema, budget={"max_tokens": 150}))
    draft = generate_draft(message, engine, TIER)
    assert draft.ledger.tokens <= 150


def test_bounds_only_narrow() -> None:
    schema = {
        "type": "object",
        "properties": {
            "s": {"type": "string", "minLength": 300},
            "a": {"type": "array"},
            "e": {"type": "string", "enum": ["x"]},
        },
    }
    out = bounded(schema)
    assert out["properties"]["s"]["maxLength"] == 300
    assert out["properties"]["a"]["maxItems"] == 16
    assert "maxLength" not in out["properties"]["e"]
    assert out["additionalProperties"] is False  # closed: no invented keys


def test_objects_are_decoded_closed_only_where_that_narrows() -> None:
    leaf = {"type": "object", "properties": {"x": {"type": "integer"}}}
    assert bounded({"type": "array", "items": leaf})["items"]["additionalProperties"] is False
    kept_open = [
        {**leaf, "additionalProperties": True},  # said explicitly
        {**leaf, "patternProperties": {"^y": {}}},
        {**leaf, "required": ["y"]},  # closing would make it unsatisfiable
        {**leaf, "allOf": [{"properties": {"y": {}}}]},
    ]
    for schema in kept_open:
        assert bounded(schema).get("additionalProperties") == schema.get("additionalProperties")
    both = bounded({"allOf": [leaf, {"properties": {"y": {}}}]})
    assert all("additionalProperties" not in branch for branch in both["allOf"])  # a branch lists only some
    assert bounded({"not": leaf}) == {"not": leaf}  # narrowing under `not` would widen the whole
    by_ref = {"$defs": {"d": leaf}, "allOf": [{"$ref": "#/$defs/d"}, {"properties": {"y": {}}}]}
    assert "additionalProperties" not in bounded(by_ref)["$defs"]["d"]
    assert bounded({"$defs": {"d": leaf}, "$ref": "#/$defs/d"})["$defs"]["d"]["additionalProperties"] is False


def test_closed_decoding_keeps_invented_keys_out(engine) -> None:
    """Decoded open, SmolLM2 answers this BFCL task with an extra "properties" key echoing the schema."""
    about = "The number for which factorial needs to be calculated."
    schema = {"type": "object", "properties": {"number": {"type": "integer", "description": about}}}
    question = "Calculate the factorial of 5 using math functions."
    prompt = question + "\nGive the arguments for calling math.factorial: Calculate the factorial of a given number."
    request = make_request(prompt=prompt, schema=schema, context=question, budget={"max_tokens": 2000})
    draft = generate_draft(classified(request), engine, TIER)
    assert list(draft.output) == ["number"]


def test_refiner_regenerates_only_the_failing_segment(engine) -> None:
    schema = {
        "type": "object",
        "properties": {
            "city": {"type": "string", "maxLength": 30},
            "forecast": {
                "type": "object",
                "properties": {
                    "days": {"type": "integer", "minimum": 1, "maximum": 7},
                    "unit": {"type": "string", "enum": ["C", "F"]},
                },
            },
        },
    }
    request = GenerationRequest.model_validate(
        make_request(prompt="Forecast for Porto for the next 3 days in C.", schema=schema, budget={"max_tokens": 3000})
    )
    output = {"city": "Porto", "forecast": {"days": 40, "unit": "C"}}
    critique = Critique(
        request=request,
        tier="small",
        ledger=Ledger(),
        received_at_ms=0,
        round=0,
        output=output,
        verdicts=[Verdict(pointer="/forecast/days", kind="schema", message="maximum: 40 is greater than 7")],
    )
    draft = refine(critique, engine, TIER)
    assert draft.round == 1
    assert draft.output["city"] == "Porto" and draft.output["forecast"]["unit"] == "C"
    assert isinstance(draft.output["forecast"]["days"], int)
    [entry] = draft.ledger.entries
    assert entry.stage == "refiner" and entry.note == "/forecast/days" and entry.round == 1
    assert entry.output_tokens <= 20  # a bare integer, not a whole object


def test_long_string_bounds_are_clamped_for_decoding_not_rejected() -> None:
    schema = {"type": "object", "properties": {"s": {"type": "string", "maxLength": 5000}}, "required": ["s"]}
    assert bounded(schema)["properties"]["s"]["maxLength"] == 1000
    gbnf = build_engine(TIER, SETTINGS.model_copy(update={"constrained_decoder": "gbnf"}))
    gbnf.grammar(schema)  # compiles instead of crashing the worker


def test_a_grammar_llama_cpp_rejects_is_a_clean_compile_error() -> None:
    """Unclamped, 1500 optional repetitions make llama.cpp return a NULL sampler (a segfault if used)."""
    from llama_cpp import LlamaGrammar

    raw = LlamaGrammar.from_json_schema('{"type": "string", "maxLength": 1500}', verbose=False)
    gbnf = build_engine(TIER, SETTINGS.model_copy(update={"constrained_decoder": "gbnf"}))
    with pytest.raises(SchemaCompileError, match=r"llama\.cpp rejected the grammar"):
        gbnf._check_parses(raw)


@pytest.mark.parametrize("decoder", ["llguidance", "gbnf"])
def test_both_constrained_decoders_produce_valid_json(decoder: str, shared_data) -> None:
    engine = build_engine(TIER, SETTINGS.model_copy(update={"constrained_decoder": decoder}))
    for raw in bfcl_requests(limit=3, root=shared_data):
        draft = generate_draft(classified(raw), engine, TIER)
        validate(draft.output, raw["schema"])


def test_llguidance_enforces_integer_bounds_the_gbnf_converter_ignores(engine) -> None:
    schema = {"type": "integer", "minimum": 20, "maximum": 29}
    text = engine.complete(generation_messages("Pick a number.", schema, None), schema, 8).text
    assert 20 <= int(text) <= 29


def test_a_pattern_llguidance_cannot_bound_is_decoded_with_its_repeats_bounded(engine) -> None:
    """A length bound intersected with this email pattern defeats llguidance's emptiness check; the
    pattern with its own repeats bounded compiles, and the decoded value still matches the original."""
    from services.common.engines import llg
    from services.common.engines.bounds import PATTERN_REPEATS

    email = {"type": "string", "pattern": "^[^@^\\s]+@[^@^\\.^\\s]+(\\.[^@^\\.^\\s]+)+$"}
    schema = {"type": "object", "properties": {"email": email}, "required": ["email"], "additionalProperties": False}
    with pytest.raises(SchemaCompileError, match="regex is empty"):
        llg.compile_schema(bounded(schema, bound_patterns=True))
    assert llg.compile_bounded(schema) == llg.compile_schema(bounded(schema, pattern_repeats=PATTERN_REPEATS))
    prompt = "Ada's email address is ada@example.org. Give it."
    completion = engine.complete(generation_messages(prompt, schema, None), schema, 60)
    assert completion.finish_reason == "stop"
    validate(json.loads(completion.text), schema)
