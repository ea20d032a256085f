"""The in-process loop (route → generate → check → refine) with a StubEngine: what the benches and
calibration run, composed from the stages' own step functions."""

from schemas import GenerationRequest, ResultStatus
from services.inference.engines.base import SchemaCompileError
from services.pipeline import Pipeline
from tests.conftest import make_request
from tests.stub_engine import StubEngine, stub_pool

SCHEMA = {"type": "object", "properties": {"n": {"type": "integer", "maximum": 5}}, "required": ["n"]}


def request(**overrides) -> GenerationRequest:
    return GenerationRequest.model_validate(make_request(schema=SCHEMA, **overrides))


def test_a_failing_draft_is_refined_and_accepted_with_every_call_on_the_ledger() -> None:
    pipeline = Pipeline(stub_pool(StubEngine('{"n": 9}', '{"n": 4}')))
    rounds = []
    run = pipeline.run(request(), on_refined=lambda critique, draft: rounds.append(critique.verdicts[0].pointer))
    assert run.result.status == ResultStatus.accepted and run.result.output == {"n": 4} and run.result.rounds == 1
    assert run.first_draft.output == {"n": 9} and [v.pointer for v in run.first_verdicts] == ["/n"]
    assert rounds == ["/n"]
    stages = [e.stage for e in run.result.ledger.entries]
    assert stages == ["generator", "critic", "refiner", "critic"]


def test_the_round_cap_rejects_and_max_rounds_zero_judges_the_tier_alone() -> None:
    stubborn = StubEngine('{"n": 9}')
    assert Pipeline(stub_pool(stubborn), max_rounds=1).run(request()).result.status == ResultStatus.rejected
    calibrating = StubEngine('{"n": 9}')
    run = Pipeline(stub_pool(calibrating), max_rounds=0).run(request())
    assert run.result.status == ResultStatus.rejected and len(calibrating.calls) == 1


def test_a_forced_tier_is_used_and_failures_become_error_results() -> None:
    run = Pipeline(stub_pool(StubEngine(SchemaCompileError("no oneOf")))).run(request(tier="large"))
    assert run.result.status == ResultStatus.error and run.result.tier == "large"
    assert run.result.error == "generator: schema not supported by the constrained decoder: no oneOf"


def test_a_budget_below_the_first_call_is_budget_exhausted_with_no_call() -> None:
    engine = StubEngine('{"n": 1}')
    run = Pipeline(stub_pool(engine)).run(request(budget={"max_tokens": 10}))
    assert run.result.status == ResultStatus.budget_exhausted and not engine.calls
