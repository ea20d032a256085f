"""Run Refinery locally: the embedded broker plus the four services, each its own OS process."""

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from refinery.devstack.broker import EmbeddedBroker, Storage
from services.__main__ import STAGES as SERVICES
from services.runtime.topics import ensure_topics
from services.settings import Settings

# Model workers each get one core of this 2-core machine (two 2-thread workers on 2 cores run at a fifth).
SERVICE_ENV = {"generator": {"REFINERY_MODEL_THREADS": "1"}, "refiner": {"REFINERY_MODEL_THREADS": "1"}}


@dataclass
class Stack:
    workdir: Path
    bootstrap: str | None = None  # None: start the embedded broker
    env: dict[str, str] = field(default_factory=dict)
    service_env: dict[str, dict[str, str]] = field(default_factory=dict)  # per service, over `env`
    storage: Storage = "memory"  # of the embedded broker
    broker: EmbeddedBroker | None = None
    services: dict[str, list[subprocess.Popen[bytes]]] = field(default_factory=dict)
    _on_sigterm: Any = field(default=None, init=False, repr=False)  # the handler to restore on exit

    def _env(self, name: str, variant: str) -> dict[str, str]:
        return {
            **os.environ,
            **SERVICE_ENV.get(name, {}),
            **self.env,
            "REFINERY_DELIVERY_LOG": str(self.workdir / "state" / f"{variant}.log"),  # survives a killed process
            **self.service_env.get(variant, {}),
            "REFINERY_BOOTSTRAP_SERVERS": self.bootstrap or "",
        }

    def start(self, services: tuple[str, ...] = SERVICES) -> "Stack":
        (self.workdir / "logs").mkdir(parents=True, exist_ok=True)
        if self.bootstrap is None:
            self.broker = EmbeddedBroker(self.workdir, self.storage).start()
            self.bootstrap = self.broker.bootstrap
        ensure_topics(Settings(**{"bootstrap_servers": self.bootstrap}, **self._settings_overrides()))
        for name in services:
            self.start_service(name)
        return self

    def _settings_overrides(self) -> dict[str, object]:
        """`env` as Settings fields (a list or map is JSON in the environment, as pydantic-settings reads it)."""
        prefix = "REFINERY_"
        return {
            k[len(prefix) :].lower(): json.loads(v) if v[:1] in "[{" else v
            for k, v in self.env.items()
            if k.startswith(prefix) and k != "REFINERY_BOOTSTRAP_SERVERS"
        }

    def start_service(self, name: str, variant: str | None = None) -> subprocess.Popen[bytes]:
        """`variant` names the `service_env` entry to use (default: `name`), e.g. a generator for one tier."""
        index = len(self.services.get(name, []))
        log = (self.workdir / "logs" / f"{variant or name}-{index}.log").open("ab")
        process = subprocess.Popen(
            [sys.executable, "-m", "services", name],
            env=self._env(name, variant or name),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.services.setdefault(name, []).append(process)
        return process

    def pids(self) -> dict[str, list[int]]:
        pids = {name: [p.pid for p in procs] for name, procs in self.services.items()}
        if self.broker:
            pids["broker"] = self.broker.pids()
        return pids

    def stop(self, timeout: float = 30.0) -> None:
        processes = [p for procs in self.services.values() for p in procs]
        terminate(processes, timeout)
        if self.broker is not None:
            terminate(self.broker.processes(), 5.0)

    def __enter__(self) -> "Stack":
        """A SIGTERM to the process holding the stack (a bench or demo killed by hand) stops it too, instead
        of leaving its services and broker running on without it."""
        if threading.current_thread() is threading.main_thread():
            self._on_sigterm = signal.signal(signal.SIGTERM, _exit_on_sigterm)
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self.stop()
        finally:
            if self._on_sigterm is not None:
                signal.signal(signal.SIGTERM, self._on_sigterm)


def _exit_on_sigterm(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


def terminate(processes: list[subprocess.Popen[bytes]], timeout: float) -> None:
    """SIGTERM (services drain the in-flight message and commit), then SIGKILL after `timeout`."""
    for p in processes:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for p in processes:
        try:
            p.wait(max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def write_state(path: Path, stack: Stack) -> None:
    path.write_text(json.dumps({"bootstrap": stack.bootstrap, "pids": stack.pids()}))


def _signal_and_wait(pids: list[int], timeout: float) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for pid in pids:
        while _alive(pid):
            if time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
                break
            time.sleep(0.1)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def stop_from_state(path: Path, timeout: float = 30.0) -> list[int]:
    """Stop a stack started by `refinery up` in another process: services first (they commit), then the broker."""
    state = json.loads(path.read_text())
    services = [pid for name, group in state["pids"].items() if name != "broker" for pid in group]
    broker = state["pids"].get("broker", [])
    _signal_and_wait(services, timeout)
    _signal_and_wait(broker, 5.0)
    path.unlink(missing_ok=True)
    return services + broker
