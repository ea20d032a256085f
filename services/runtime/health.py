"""Liveness and readiness over HTTP, for Kubernetes probes.

- `/livez`: the event loop answers (a handler stuck on the loop fails this).
- `/readyz`: every subscriber is running and the broker answers a metadata request within 2 s.
Served on `REFINERY_HEALTH_PORT` (0 = off) with asyncio alone, beside the FastStream app."""

import asyncio
import logging

from faststream.kafka import KafkaBroker

log = logging.getLogger("refinery.health")
PING_TIMEOUT_S = 2.0


async def readiness(broker: KafkaBroker) -> tuple[bool, str]:
    stopped = [str(s) for s in broker.subscribers if not getattr(s, "running", False)]
    if stopped:
        return False, f"subscribers not running: {stopped}"
    if not await broker.ping(timeout=PING_TIMEOUT_S):
        return False, "broker unreachable"
    return True, "ready"


class HealthServer:
    def __init__(self, broker: KafkaBroker, host: str, port: int) -> None:
        self._broker = broker
        self._host = host
        self._port = port
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        if self._port:
            self._server = await asyncio.start_server(self._handle, self._host, self._port)
            log.info("health endpoints on %s:%d (/livez, /readyz)", self._host, self._port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request_line = (await asyncio.wait_for(reader.readline(), 5)).decode("latin-1").split()
            path = request_line[1] if len(request_line) > 1 else "/"
            if path == "/livez":
                ok, body = True, "alive"
            elif path == "/readyz":
                ok, body = await readiness(self._broker)
            else:
                ok, body = False, "not found"
            status = "200 OK" if ok else ("404 Not Found" if body == "not found" else "503 Service Unavailable")
            payload = body.encode()
            writer.write(
                f"HTTP/1.1 {status}\r\nContent-Type: text/plain\r\nContent-Length: {len(payload)}\r\n"
                f"Connection: close\r\n\r\n".encode()
                + payload
            )
            await writer.drain()
        except (TimeoutError, ConnectionError):
            pass
        finally:
            writer.close()
