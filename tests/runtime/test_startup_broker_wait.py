"""A service starting while the broker is away waits for it (as a restarted pod would), within a limit."""

import asyncio
import socket

import pytest
from aiokafka.errors import KafkaError

from refinery.devstack.broker import EmbeddedBroker
from services.runtime.topics import create_topics_when_up, topic_names
from services.settings import Settings


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_broker_that_never_answers_fails_the_start_after_the_wait() -> None:
    settings = Settings(bootstrap_servers=f"127.0.0.1:{_closed_port()}", startup_broker_wait_s=2.5)
    with pytest.raises(KafkaError):
        asyncio.run(create_topics_when_up(settings))


@pytest.mark.broker
def test_a_broker_that_comes_back_is_waited_for(tmp_path) -> None:
    broker = EmbeddedBroker(tmp_path).start()
    try:
        broker.kill()  # away when the service starts
        settings = Settings(bootstrap_servers=broker.bootstrap, startup_broker_wait_s=60)

        async def start_while_away() -> list[str]:
            starting = asyncio.create_task(create_topics_when_up(settings))
            await asyncio.sleep(3)
            assert not starting.done()
            broker.start()  # same port
            return await starting

        assert sorted(asyncio.run(start_while_away())) == sorted(topic_names(settings))
    finally:
        broker.kill()
