"""Kafka TLS and SASL purely from REFINERY_ settings: services (FastStream) and the client (aiokafka)."""

import asyncio
import ssl
import subprocess
from pathlib import Path
from unittest.mock import AsyncMock

import pytest
from faststream.security import BaseSecurity, SASLPlaintext, SASLScram256, SASLScram512

from services.runtime.connection import client_options, kafka_security, make_broker
from services.settings import Settings


@pytest.fixture(scope="module")
def ca_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("tls")
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=test-ca",
            "-keyout",
            str(folder / "ca.key"),
            "-out",
            str(folder / "ca.pem"),
        ],
        check=True,
        capture_output=True,
    )
    return folder / "ca.pem"


def test_plaintext_has_no_security() -> None:
    assert kafka_security(Settings()) is None
    assert "security_protocol" not in client_options(Settings())


def test_tls_only(ca_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REFINERY_SECURITY_PROTOCOL", "SSL")
    monkeypatch.setenv("REFINERY_SSL_CAFILE", str(ca_file))
    security = kafka_security(Settings())
    assert type(security) is BaseSecurity and security.use_ssl
    assert isinstance(security.ssl_context, ssl.SSLContext)
    assert security.ssl_context.verify_mode is ssl.CERT_REQUIRED
    kwargs = client_options(Settings())
    assert kwargs["security_protocol"] == "SSL" and kwargs["ssl_context"] is not None


@pytest.mark.parametrize(
    ("mechanism", "kind"), [("PLAIN", SASLPlaintext), ("SCRAM-SHA-256", SASLScram256), ("SCRAM-SHA-512", SASLScram512)]
)
def test_sasl_over_tls_from_env(mechanism: str, kind: type, ca_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REFINERY_SECURITY_PROTOCOL", "SASL_SSL")
    monkeypatch.setenv("REFINERY_SASL_MECHANISM", mechanism)
    monkeypatch.setenv("REFINERY_SASL_USERNAME", "refinery")
    monkeypatch.setenv("REFINERY_SASL_PASSWORD", "s3cret")
    monkeypatch.setenv("REFINERY_SSL_CAFILE", str(ca_file))
    security = kafka_security(Settings())
    assert type(security) is kind
    assert security.username == "refinery" and security.password == "s3cret" and security.use_ssl
    kwargs = client_options(Settings())
    assert kwargs["sasl_mechanism"] == mechanism and kwargs["sasl_plain_password"] == "s3cret"


def test_sasl_password_from_a_mounted_secret_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "password").write_text("from-file\n")
    monkeypatch.setenv("REFINERY_SECURITY_PROTOCOL", "SASL_PLAINTEXT")
    monkeypatch.setenv("REFINERY_SASL_MECHANISM", "SCRAM-SHA-512")
    monkeypatch.setenv("REFINERY_SASL_USERNAME", "refinery")
    monkeypatch.setenv("REFINERY_SASL_PASSWORD_FILE", str(tmp_path / "password"))
    security = kafka_security(Settings())
    assert type(security) is SASLScram512 and security.password == "from-file" and not security.use_ssl


def test_incomplete_sasl_settings_fail_clearly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REFINERY_SECURITY_PROTOCOL", "SASL_PLAINTEXT")
    monkeypatch.setenv("REFINERY_SASL_MECHANISM", "PLAIN")
    with pytest.raises(ValueError, match="REFINERY_SASL_USERNAME"):
        kafka_security(Settings())


async def test_a_services_subscribers_start_together() -> None:
    """Each subscriber's start waits for its group join; started one after another, a worker with five
    groups waited five joins. A barrier every start must reach before any returns proves they overlap."""
    broker = make_broker(Settings(bootstrap_servers="127.0.0.1:9"), "generator")
    topics = [f"refinery.test.{i}" for i in range(4)]
    for topic in topics:
        broker.subscriber(topic, group_id=f"g-{topic}")(lambda _: None)
    barrier = asyncio.Barrier(len(topics))
    for subscriber in broker.subscribers:
        subscriber.start = barrier.wait  # type: ignore[method-assign]
    broker.connect = AsyncMock()  # type: ignore[method-assign]
    await asyncio.wait_for(broker.start(), 10)  # one after another: the first wait never ends
    assert broker.running and barrier.n_waiting == 0


async def test_a_batch_subscriber_polls_again_at_once_after_an_empty_poll(monkeypatch: pytest.MonkeyPatch) -> None:
    """FastStream slept `batch_timeout_ms` after an empty `getmany` (which had already waited that long): a
    record landing in the sleep waited for it. Ours returns to `getmany`, which wakes when records come."""
    import faststream.kafka.subscriber.usecase as usecase

    monkeypatch.setattr(usecase.anyio, "sleep", AsyncMock(side_effect=AssertionError("slept after an empty poll")))
    broker = make_broker(Settings(bootstrap_servers="127.0.0.1:9"), "generator")
    subscriber = broker.subscriber("refinery.test", group_id="g", batch=True, batch_timeout_ms=10, max_records=4)
    consumer = AsyncMock()
    consumer.getmany.return_value = {}
    assert await subscriber.get_msg(consumer) == ()
    consumer.getmany.assert_awaited_once_with(timeout_ms=10, max_records=4)
    consumer.getmany.return_value = {"tp0": ["a", "b"], "tp1": ["c"]}
    assert await subscriber.get_msg(consumer) == ("a", "b", "c")
