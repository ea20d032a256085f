"""The embedded broker's storage engines side by side: produce and consume throughput, restart time, and
what survives a kill -9. Writes bench/results/broker_storage.json.

    .venv/bin/python -m bench.broker_storage [--records 5000]
"""

import argparse
import asyncio
import platform
import tempfile
import time
from pathlib import Path

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from refinery.devstack.broker import EmbeddedBroker

OUT = Path(__file__).parent / "results" / "broker_storage.json"
TOPIC = "storage-probe"
PAYLOAD = orjson.dumps({"id": "x" * 16, "output": {"text": "y" * 400}})  # about a Result's size


async def produce(bootstrap: str, records: int, sequential: int) -> dict[str, float]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    await admin.create_topics([NewTopic(TOPIC, 4, 1)])
    await admin.close()
    single = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")  # no linger: as a stage publishes
    await single.start()
    try:
        started = time.perf_counter()
        for i in range(sequential):  # one at a time: the latency of an acknowledged write
            await single.send_and_wait(TOPIC, PAYLOAD, key=str(i).encode())
        one_at_a_time_ms = (time.perf_counter() - started) * 1000 / sequential
    finally:
        await single.stop()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    await producer.start()
    try:
        started = time.perf_counter()
        for i in range(records - sequential):
            await producer.send(TOPIC, PAYLOAD, key=str(i).encode())
        await producer.flush()
        batched = (records - sequential) / (time.perf_counter() - started)
    finally:
        await producer.stop()
    return {"acked_write_ms": round(one_at_a_time_ms, 2), "produce_per_s": round(batched)}


async def consume(bootstrap: str) -> tuple[int, float]:
    consumer = AIOKafkaConsumer(TOPIC, bootstrap_servers=bootstrap, group_id=None, auto_offset_reset="earliest")
    await consumer.start()
    try:
        count, started = 0, time.perf_counter()
        while batch := await consumer.getmany(timeout_ms=3000, max_records=5000):
            count += sum(len(records) for records in batch.values())
        return count, round(count / max(time.perf_counter() - started - 3.0, 1e-3))
    finally:
        await consumer.stop()


def measure(storage: str, records: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as workdir:
        broker = EmbeddedBroker(Path(workdir), storage).start()  # type: ignore[arg-type]
        try:
            written = asyncio.run(produce(broker.bootstrap, records, 200))
            read, per_s = asyncio.run(consume(broker.bootstrap))
            broker.kill()
            started = time.perf_counter()
            broker.start()
            survived, _ = asyncio.run(consume(broker.bootstrap))
            restart_s = time.perf_counter() - started - 3.0  # less the final empty poll
        finally:
            broker.kill()
            for process in broker.processes():
                process.kill()
        return {
            "storage": storage,
            **written,
            "consume_per_s": per_s,
            "read_back": read,
            "restart_to_first_read_s": round(restart_s, 2),
            "acked": records,
            "survived_kill_9": survived,
        }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=5000)
    args = parser.parse_args()
    runs = [measure(storage, args.records) for storage in ("memory", "s3")]
    report = {
        "machine": f"{platform.machine()}, 2 cores, no GPU",
        "runs": runs,
        "postgres": "not measured: the vendored Tansu binary is built without it (FeatureNotEnabled: postgres)",
        "default": "s3",
        "why": "the only storage that keeps acknowledged records through a broker kill -9",
    }
    OUT.write_bytes(orjson.dumps(report, option=orjson.OPT_INDENT_2) + b"\n")
    print(orjson.dumps(runs).decode())


if __name__ == "__main__":
    main()
