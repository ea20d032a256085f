"""End to end over the real embedded broker (Tansu), four service processes, the real model."""

import asyncio
import hashlib
import subprocess
import time
from pathlib import Path

import orjson
import pytest
from aiokafka import AIOKafkaProducer
from jsonschema import validate

from refinery.adapters.voice_data import SCHEMA, TRAIN, examples
from refinery.client import run_batch
from refinery.devstack.stack import Stack
from schemas import ErrorRecord, GenerationRequest, ResultStatus
from schemas.fingerprint import schema_fingerprint
from services.documents.bfcl import bfcl_requests
from services.documents.menus import menu
from services.inference.menu_shortlist import load_menu_shortlist
from services.inference.tiers import load_tiers
from services.settings import Settings
from tests.conftest import make_request
from tests.refinery.stack_helpers import batch, read_topic, received, wait_for_line

pytestmark = pytest.mark.broker


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory):
    with Stack(tmp_path_factory.mktemp("stack")) as running:
        running.start()
        yield running


@pytest.fixture(scope="module")
def settings(stack: Stack) -> Settings:
    return Settings(bootstrap_servers=stack.bootstrap)


def test_bfcl_batch_returns_one_schema_valid_result_each(stack: Stack, settings: Settings, shared_data) -> None:
    requests = bfcl_requests(limit=6, root=shared_data)
    prompts = {tier.model_name: tier.prompt.version for tier in load_tiers(settings.tiers_file).values()}
    results = batch([orjson.dumps(r) for r in requests], settings)
    assert [r.id for r in results] == [r["id"] for r in requests]
    for request, result in zip(requests, results, strict=True):
        assert result.status in (ResultStatus.accepted, ResultStatus.rejected), result
        assert result.tier in ("small", "medium", "large") and result.trace_id
        [routed] = [e for e in result.ledger.entries if e.stage == "classifier"]
        assert routed.model == "router-onnx:router.onnx"  # the ONNX router decided, in a batch
        assert result.latency_ms and result.latency_ms > 0
        stages = {e.stage for e in result.ledger.entries}
        assert {"classifier", "generator", "critic"} <= stages
        assert result.ledger.tokens <= request["budget"]["max_tokens"]
        assert result.metadata["task"] == request["metadata"]["task"]
        assert result.schema_fingerprint == schema_fingerprint(request["schema"])
        drafted = [e for e in result.ledger.entries if e.stage == "generator"]
        assert drafted and all(e.prompt_version == prompts[e.model] for e in drafted)
        if result.status is ResultStatus.accepted:
            validate(result.output, request["schema"])
    assert sum(r.status is ResultStatus.accepted for r in results) >= 4


def test_a_request_in_a_brand_voice_runs_on_the_tier_carrying_its_adapter(settings: Settings) -> None:
    """The medium tier carries the Harbour & Pine adapter; a held-out product's card comes back in its voice
    (model behaviour of the trained adapter: the description opens "Meet the …")."""
    product = examples()[TRAIN + 5]
    request = make_request(id="voice-card-1", prompt=product["prompt"], schema=SCHEMA, creative=True)
    request |= {"adapter": "harbour-pine", "budget": {"max_tokens": 1500}}
    [result] = batch([orjson.dumps(request)], settings)
    assert result.status is ResultStatus.accepted and result.tier == "medium", result
    assert result.output["description"].startswith("Meet the ")
    [drafted] = [e for e in result.ledger.entries if e.stage == "generator"]
    assert drafted.model.endswith("+harbour-pine")


def test_refinement_loop_closes_over_kafka(settings: Settings) -> None:
    """Integer bounds are not enforced by the decoder, so the critic fails them and the refiner fixes them."""
    schema = {
        "type": "object",
        "properties": {
            "days": {"type": "integer", "minimum": 1, "maximum": 7},
            "city": {"type": "string", "maxLength": 20},
        },
        "required": ["days", "city"],
        "additionalProperties": False,
    }
    request = make_request(
        id="loop-1", prompt="Forecast for Porto, 3 days.", schema=schema, budget={"max_tokens": 3000}, tier="small"
    )
    [result] = batch([orjson.dumps(request)], settings)
    assert result.status in (ResultStatus.accepted, ResultStatus.rejected)
    if result.rounds > 0:
        refiner_entries = [e for e in result.ledger.entries if e.stage == "refiner"]
        assert refiner_entries and all(e.note != "/" for e in refiner_entries)
    assert result.ledger.tokens <= 3000


def test_a_long_menu_is_drafted_from_its_shortlist_and_judged_whole(settings: Settings, shared_data) -> None:
    """The generator drafts a BFCL live menu from the calls the ask can mean (MiniLM, loaded at start-up);
    the Result is a call of the producer's whole menu, within the budget."""
    shortlist = load_menu_shortlist(settings.menu_shortlist_margin)
    assert shortlist is not None
    menus = (GenerationRequest.model_validate(r) for r in bfcl_requests(category="live_multiple", root=shared_data))
    request, kept = next((r, k) for r in menus if (k := shortlist.calls(r)))
    asked = request.model_dump(mode="json", by_alias=True) | {"tier": "medium", "budget": {"max_tokens": 2000}}
    [result] = batch([orjson.dumps(asked)], settings)
    [first, *_] = [e for e in result.ledger.entries if e.stage == "generator"]
    assert first.note == f"{len(kept)} of {len(menu(request.json_schema))} calls; as a tool call"
    assert result.ledger.tokens <= 2000 and result.status is not ResultStatus.error
    if result.output is not None:
        validate(result.output, request.json_schema)  # a call of the whole menu


def test_bad_input_yields_error_records_and_good_requests_still_succeed(settings: Settings) -> None:
    async def scenario():
        producer = AIOKafkaProducer(bootstrap_servers=settings.bootstrap_servers)
        await producer.start()
        await producer.send_and_wait(settings.topic_requests, b'{"id": "broken-1", "prompt": ', key=b"broken-1")
        await producer.stop()
        invalid = orjson.dumps(make_request(id="invalid-1", budget={"max_tokens": 0}))
        unsatisfiable = orjson.dumps(
            make_request(id="unsat-1", schema={"type": "string", "minLength": 9, "maxLength": 1})
        )
        unknown_voice = orjson.dumps(make_request(id="voice-1", adapter="nope"))
        good = orjson.dumps(make_request(id="good-after-bad"))
        return await run_batch([invalid, unsatisfiable, unknown_voice, good], settings, 300)

    invalid, unsatisfiable, unknown_voice, good = asyncio.run(scenario())
    assert unknown_voice.status is ResultStatus.error and "unknown adapter 'nope'" in unknown_voice.error
    assert invalid.status is ResultStatus.error and "budget.max_tokens" in invalid.error
    assert unsatisfiable.status is ResultStatus.error and "unsatisfiable schema" in unsatisfiable.error
    assert good.status is ResultStatus.accepted, good
    errors = [
        ErrorRecord.model_validate(orjson.loads(v)) for v in asyncio.run(read_topic(settings, settings.topic_errors))
    ]
    reasons = {e.request_id: e.reason for e in errors}
    assert "invalid-1" in reasons and "unsat-1" in reasons and "voice-1" in reasons
    broken = [e for e in errors if e.request_id is None and "malformed JSON" in e.reason]
    digest = hashlib.sha256(b'{"id": "broken-1", "prompt": ').hexdigest()
    assert any(e.payload_sha256 == digest and e.payload == "" for e in broken)  # redacted: no text on the topic


def test_a_request_sent_twice_yields_one_result(settings: Settings) -> None:
    line = orjson.dumps(make_request(id="twice-1"))
    [first, second] = batch([line, line], settings)
    assert first.status is ResultStatus.accepted and second == first
    time.sleep(3)  # give a second Result time to appear if dedupe were broken
    results = [orjson.loads(v) for v in asyncio.run(read_topic(settings, settings.topic_results))]
    assert sum(r["id"] == "twice-1" for r in results) == 1


def test_a_worker_killed_mid_request_loses_nothing(stack: Stack, settings: Settings, shared_data) -> None:
    """Kill the generator while it works; a second group member takes the partition and finishes."""
    spare = stack.start_service("generator")
    spare_log = stack.workdir / "logs" / f"generator-{len(stack.services['generator']) - 1}.log"
    wait_for_line(spare_log, "refinery.generate.medium", "assigned to partitions")  # the spare has joined
    requests = bfcl_requests(limit=5, root=shared_data)
    for r in requests:
        r["id"], r["tier"] = f"kill-{r['id']}", "medium"  # one tier: the kill lands where the work is

    async def scenario():
        taken = received(stack, "generator")
        task = asyncio.create_task(run_batch([orjson.dumps(r) for r in requests], settings, 400))
        deadline = time.monotonic() + 120
        while received(stack, "generator") == taken:
            assert time.monotonic() < deadline, "the victim never took a request"
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.5)  # mid-generation
        stack.services["generator"][0].kill()  # SIGKILL: no drain, no commit
        return await asyncio.wait_for(task, 400)

    results = asyncio.run(scenario())
    assert stack.services["generator"][0].poll() is not None and spare.poll() is None
    assert all(r.status is not ResultStatus.error for r in results), [r.error for r in results]
    assert len({r.id for r in results}) == len(requests)


def test_cli_batch_writes_results_in_input_order(stack: Stack, tmp_path: Path, shared_data) -> None:
    requests = bfcl_requests(limit=3, root=shared_data)
    for r in requests:
        r["id"] = f"cli-{r['id']}"
    lines = [orjson.dumps(r) for r in requests] + [b"not json"]
    source, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    source.write_bytes(b"\n".join(lines) + b"\n")
    done = subprocess.run(
        [".venv/bin/refinery", "batch", str(source), str(out), "--bootstrap", stack.bootstrap, "--timeout", "300"],
        capture_output=True,
        text=True,
        timeout=400,
    )
    assert done.returncode == 0, done.stderr
    written = [orjson.loads(line) for line in out.read_bytes().splitlines()]
    assert [w["id"] for w in written] == [r["id"] for r in requests] + ["line-4"]
    assert written[-1]["status"] == "error" and "malformed JSON" in written[-1]["error"]
    assert "latency p50" in done.stderr


def test_grounding_and_rules_close_the_loop_over_kafka(settings: Settings) -> None:
    """SmolLM2 answers 10 for "the factorial of 5": the critic flags it as ungrounded, and the refiner fixes
    it from the context with no model call. Likewise the email SmolLM2 garbles in a signature."""
    from schemas.rules import compile_rule

    grounded = make_request(
        id="ground-1",
        prompt="Calculate the factorial of 5 using math functions. Give the arguments for math.factorial.",
        context="Calculate the factorial of 5 using math functions.",
        schema={"type": "object", "properties": {"number": {"type": "integer"}}, "required": ["number"]},
        budget={"max_tokens": 2000},
        tier="small",  # the behaviour under test is SmolLM2's
    )
    ruled = make_request(
        id="rule-1",
        prompt="A box holds 3 red and 4 blue marbles. Give the counts and the total.",
        schema={
            "type": "object",
            "required": ["red", "blue", "total"],
            "properties": {
                "red": {"type": "integer", "minimum": 0, "maximum": 20},
                "blue": {"type": "integer", "minimum": 0, "maximum": 20},
                "total": {"type": "integer", "minimum": 0, "maximum": 40},
            },
        },
        rules=["total == red + blue"],
        budget={"max_tokens": 3000},
        tier="small",
    )
    formatted = make_request(
        id="format-1",
        prompt="Extract the contact details of the person who wrote this signature.",
        context="Best regards,\nMargaret Hamilton\nmargaret.hamilton@example.org | +1 617 555 0199",
        schema={
            "type": "object",
            "properties": {"name": {"type": "string"}, "email": {"type": "string", "format": "email"}},
            "required": ["name", "email"],
        },
        budget={"max_tokens": 1500},
        tier="small",
    )
    grounded_result, ruled_result, formatted_result = batch(
        [orjson.dumps(grounded), orjson.dumps(ruled), orjson.dumps(formatted)], settings
    )
    assert grounded_result.status is ResultStatus.accepted, grounded_result.verdicts
    assert grounded_result.output == {"number": 5} and grounded_result.rounds == 1
    assert formatted_result.status is ResultStatus.accepted, formatted_result.verdicts
    assert formatted_result.output["email"] == "margaret.hamilton@example.org" and formatted_result.rounds == 1
    for settled in (grounded_result, formatted_result):  # settled from the context: no refiner model call
        assert [e.stage for e in settled.ledger.entries] == ["classifier", "generator", "critic", "critic"]
    critic_entries = [e for e in grounded_result.ledger.entries if e.stage == "critic"]
    assert len(critic_entries) == grounded_result.rounds + 1
    assert all(e.model == "validators+all-MiniLM-L6-v2-int8" for e in critic_entries)
    if ruled_result.status is ResultStatus.accepted:
        assert compile_rule("total == red + blue").holds(ruled_result.output)
    else:
        assert ruled_result.status is ResultStatus.rejected
        assert any(v.kind == "consistency" and v.pointer == "/total" for v in ruled_result.verdicts)
    assert ruled_result.ledger.tokens <= 3000
