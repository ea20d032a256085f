"""Constrained outputs close within their token limit (engines/closing.py) and decode within finite bounds
(engines/bounds.py), on the real small model: unbatched and batched llama.cpp, and transformers."""

import json
import re

import pytest
from jsonschema import validate

from services.inference.decoding.bounds import SAFE_INTEGER, bound_repeats, bounded
from services.inference.decoding.closing import StringScanner
from services.inference.engines.llama_cpp.engine import LlamaCppEngine
from services.inference.prompts import generation_messages
from services.inference.tiers import load_tiers
from services.settings import Settings

TIER = load_tiers(Settings().tiers_file)["small"]
ITEM = {"type": "object", "properties": {"name": {"type": "string"}, "price": {"type": "number"}}}
INVOICE = {
    "type": "object",
    "properties": {
        "customer": {"type": "string"},
        "items": {"type": "array", "items": ITEM | {"required": ["name", "price"]}, "minItems": 1},
        "note": {"type": "string"},
    },
    "required": ["customer", "items", "note"],
}
# SmolLM2 lists invoice items until the limit: cut there, the output is not JSON
MESSAGES = generation_messages("Write an invoice for Jane Smith with many items.", INVOICE, None)


@pytest.fixture(scope="module")
def engine() -> LlamaCppEngine:
    return LlamaCppEngine(TIER.model_path(), TIER.model_name, threads=2, max_batch=3)


def assert_closed(completion, limit: int) -> dict:
    assert completion.finish_reason == "stop" and completion.output_tokens <= limit, completion
    assert completion.closed_early
    value = json.loads(completion.text)
    validate(value, INVOICE)
    return value


def test_the_string_scanner_follows_quotes_and_escapes() -> None:
    scanner = StringScanner()
    for piece, inside in [(b'{"a', True), (b'":"x\\', True), (b'"', True), (b'y"', False), (b',"', True)]:
        scanner.feed(piece)
        assert scanner.in_string is inside, piece


def test_an_output_that_would_be_cut_closes_within_its_limit(engine: LlamaCppEngine, monkeypatch) -> None:
    closed = {limit: engine.complete(MESSAGES, INVOICE, limit) for limit in (30, 48)}
    assert json.loads(closed[48].text)["customer"] == "Jane Smith"  # room for a real value before closing
    for limit, completion in closed.items():
        assert_closed(completion, limit)
    monkeypatch.setattr(engine, "_closing", None)  # the same calls without closing are cut
    for limit in closed:
        cut = engine.complete(MESSAGES, INVOICE, limit)
        assert cut.finish_reason == "length" and cut.output_tokens == limit
        with pytest.raises(json.JSONDecodeError):
            json.loads(cut.text)


def test_outputs_with_room_to_spare_are_unchanged(engine: LlamaCppEngine, bfcl_calls: list, monkeypatch) -> None:
    """Checked near the limit, never narrowed: an output with 8 tokens to spare is the same token for token."""
    calls = [(messages, schema) for messages, schema, _ in bfcl_calls if schema is not None]
    closing = engine._closing
    monkeypatch.setattr(engine, "_closing", None)
    free = [engine.complete(messages, schema, 256) for messages, schema in calls]
    monkeypatch.setattr(engine, "_closing", closing)
    for (messages, schema), unclosed in zip(calls, free, strict=True):
        assert unclosed.finish_reason == "stop"
        spare = engine.complete(messages, schema, unclosed.output_tokens + 8)
        assert (spare.text, spare.output_tokens) == (unclosed.text, unclosed.output_tokens)
        assert not spare.closed_early


def test_a_draft_closed_early_says_so_in_its_ledger(engine: LlamaCppEngine) -> None:
    from schemas import Classification, ClassifiedRequest, GenerationRequest
    from services.generator.drafting import generate_draft
    from tests.conftest import make_request

    prompt = "Write an invoice for Jane Smith with many items."
    budget = engine.count_tokens(MESSAGES) + 40
    raw = make_request(prompt=prompt, schema=INVOICE, budget={"max_tokens": budget})
    request = GenerationRequest.model_validate(raw)
    message = ClassifiedRequest(
        request=request, tier="small", received_at_ms=0, classification=Classification(complexity=0, reason="test")
    )
    draft = generate_draft(message, engine, TIER)
    validate(draft.output, INVOICE)
    [entry] = draft.ledger.entries
    assert entry.note == "closed early to fit its token limit" and draft.ledger.tokens <= budget


def test_batched_outputs_close_as_unbatched_ones_do(engine: LlamaCppEngine) -> None:
    calls = [(MESSAGES, INVOICE, 30), (MESSAGES, INVOICE, 48), (MESSAGES, INVOICE, 40)]
    batched = engine.complete_batch(calls)
    for (_, _, limit), many in zip(calls, batched, strict=True):
        one = engine.complete(MESSAGES, INVOICE, limit)
        assert (many.text, many.output_tokens) == (one.text, one.output_tokens)
        assert_closed(many, limit)


def test_transformers_outputs_close_within_their_limit() -> None:
    from services.inference.engines.transformers.engine import TransformersEngine

    settings = Settings(model_threads=2)
    engine = TransformersEngine(
        TIER.model_path(settings.model_cache), TIER.model_name, cache_dir=settings.model_cache, threads=2, max_batch=2
    )
    for completion in engine.complete_batch([(MESSAGES, INVOICE, 30), (MESSAGES, INVOICE, 48)]):
        assert_closed(completion, 48)


def test_pattern_repeats_are_bounded_to_a_subset() -> None:
    email = r"^[^@^\s]+@[^@^\.^\s]+(\.[^@^\.^\s]+)+$"
    assert bound_repeats(email, 8) == r"^[^@^\s]{1,8}@[^@^\.^\s]{1,8}(\.[^@^\.^\s]{1,8}){1,8}$"
    assert bound_repeats(r"a\+b*[+*]c{2,}d{3}[]+]", 4) == r"a\+b{0,4}[+*]c{2,6}d{3}[]+]"
    for text in ["ada@example.org", "a@b.c", "x" * 9 + "@y.z"]:
        if re.fullmatch(bound_repeats(email, 8), text):
            assert re.fullmatch(email, text)
    assert not re.fullmatch(bound_repeats(email, 8), "x" * 9 + "@y.z")


def test_integers_decode_within_the_safe_range_where_that_leaves_a_value() -> None:
    assert bounded({"type": "integer"}) == {"type": "integer", "minimum": -SAFE_INTEGER, "maximum": SAFE_INTEGER}
    assert bounded({"type": "integer", "minimum": 3})["maximum"] == SAFE_INTEGER
    assert "maximum" not in bounded({"type": "integer", "exclusiveMinimum": 2**60})  # would leave no value
    assert "minimum" not in bounded({"type": "integer", "maximum": -(2**60)})
    assert bounded({"type": "number"}) == {"type": "number"}  # fractions are not bounded this way
