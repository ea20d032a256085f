"""Constrained decoding with the real small model (SmolLM2-135M via llama.cpp): llguidance and GBNF."""

import json

import pytest
from jsonschema import validate

from services.documents.bfcl import bfcl_requests
from services.generator.drafting import generate_draft
from services.inference.decoding.bounds import bounded
from services.inference.engines import SchemaCompileError
from services.inference.engines.registry import build_engine
from services.inference.prompts import generation_messages
from tests.conftest import SMALL as TIER
from tests.conftest import SMALL_SETTINGS as SETTINGS
from tests.conftest import classified, make_request


def test_unsupported_schema_is_a_compile_error(engine) -> None:
    with pytest.raises(SchemaCompileError, match=r"look-around|pattern"):
        engine.complete(generation_messages("x", {}, None), {"type": "string", "pattern": "^(?=a)b$"}, 10)


def test_closed_decoding_keeps_invented_keys_out(engine) -> None:
    """Decoded open, SmolLM2 answers this BFCL task with an extra "properties" key echoing the schema."""
    about = "The number for which factorial needs to be calculated."
    schema = {"type": "object", "properties": {"number": {"type": "integer", "description": about}}}
    question = "Calculate the factorial of 5 using math functions."
    prompt = question + "\nGive the arguments for calling math.factorial: Calculate the factorial of a given number."
    request = make_request(prompt=prompt, schema=schema, context=question, budget={"max_tokens": 2000})
    draft = generate_draft(classified(request), engine, TIER)
    assert list(draft.output) == ["number"]


def test_a_grammar_llama_cpp_rejects_is_a_clean_compile_error() -> None:
    """Unclamped, 1500 optional repetitions make llama.cpp return a NULL sampler (a segfault if used)."""
    from llama_cpp import LlamaGrammar

    from services.inference.engines.llama_cpp.gbnf import check_parses

    raw = LlamaGrammar.from_json_schema('{"type": "string", "maxLength": 1500}', verbose=False)
    gbnf = build_engine(TIER, SETTINGS.model_copy(update={"constrained_decoder": "gbnf"}))
    with pytest.raises(SchemaCompileError, match=r"llama\.cpp rejected the grammar"):
        check_parses(raw, gbnf._vocab)


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
    from services.inference.decoding import llguidance_mask as llg
    from services.inference.decoding.bounds import PATTERN_REPEATS

    email = {"type": "string", "pattern": "^[^@^\\s]+@[^@^\\.^\\s]+(\\.[^@^\\.^\\s]+)+$"}
    schema = {"type": "object", "properties": {"email": email}, "required": ["email"], "additionalProperties": False}
    with pytest.raises(SchemaCompileError, match="regex is empty"):
        llg.compile_schema(bounded(schema, bound_patterns=True))
    assert llg.compile_bounded(schema) == llg.compile_schema(bounded(schema, pattern_repeats=PATTERN_REPEATS))
    prompt = "Ada's email address is ada@example.org. Give it."
    completion = engine.complete(generation_messages(prompt, schema, None), schema, 60)
    assert completion.finish_reason == "stop"
    validate(json.loads(completion.text), schema)


def test_the_drafting_models_confidence_names_the_value_it_was_least_sure_of(engine) -> None:
    from services.inference.calls import confidence_of

    schema = {"type": "object", "properties": {"city": {"type": "string"}, "days": {"type": "integer"}}}
    messages = generation_messages("Plan 3 days in Lisbon.", schema, None)
    done = engine.complete(messages, schema, 40)
    assert len(done.token_ends) == done.output_tokens and done.token_ends[-1] == len(done.text)
    assert len(done.logprobs) >= done.output_tokens and all(p <= 0 for p in done.logprobs)
    confidence = confidence_of(done)
    assert confidence.min_logprob < 0 and confidence.least_pointer in ("", "/city", "/days")
