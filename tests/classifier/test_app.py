"""Every branch of the classifier's handler, in memory, with the committed router model."""

import orjson

from services.classifier.app import create_app
from tests.conftest import make_request
from tests.memory_broker import SETTINGS, WATCHED, running

GENERATE = tuple(SETTINGS.generate_topic(t) for t in ("small", "medium", "large"))


def body(**overrides) -> bytes:
    return orjson.dumps(make_request(**overrides))


async def test_a_valid_request_is_routed_to_a_tier_with_the_classifier_on_its_ledger() -> None:
    async with running(create_app(SETTINGS), WATCHED + GENERATE) as (broker, outbox):
        await broker.publish(body(tier="large"), SETTINGS.topic_requests)
    message = outbox.only(SETTINGS.generate_topic("large"))
    assert message["tier"] == "large" and message["classification"]["forced"] is True
    assert [e["stage"] for e in message["ledger"]["entries"]] == ["classifier"]


async def test_an_invalid_request_gets_an_error_record_and_an_error_result() -> None:
    async with running(create_app(SETTINGS), WATCHED + GENERATE) as (broker, outbox):
        await broker.publish(body(budget={"max_tokens": -1}), SETTINGS.topic_requests)
    result = outbox.only(SETTINGS.topic_results)
    assert result["status"] == "error" and result["id"] == "r-1" and "max_tokens" in result["error"]
    assert outbox.only(SETTINGS.topic_errors)["request_id"] == "r-1"
    assert not any(outbox[t] for t in GENERATE)


async def test_bad_json_gets_an_error_record() -> None:
    async with running(create_app(SETTINGS), WATCHED + GENERATE) as (broker, outbox):
        await broker.publish(b"not json", SETTINGS.topic_requests)
    assert outbox.only(SETTINGS.topic_errors)["stage"] == "classifier"
    assert not outbox[SETTINGS.topic_results]


async def test_a_redelivery_is_routed_once_and_a_reused_id_is_refused_without_a_second_result() -> None:
    async with running(create_app(SETTINGS), WATCHED + GENERATE) as (broker, outbox):
        await broker.publish(body(), SETTINGS.topic_requests)
        await broker.publish(body(), SETTINGS.topic_requests)
        await broker.publish(body(prompt="Another task."), SETTINGS.topic_requests)
    assert sum(len(outbox[t]) for t in GENERATE) == 1
    assert "duplicate request id" in outbox.only(SETTINGS.topic_errors)["reason"]
    assert not outbox[SETTINGS.topic_results]


async def test_an_unknown_forced_tier_is_refused() -> None:
    async with running(create_app(SETTINGS), WATCHED + GENERATE) as (broker, outbox):
        await broker.publish(body(tier="huge"), SETTINGS.topic_requests)
    assert "unknown tier 'huge'" in outbox.only(SETTINGS.topic_results)["error"]
