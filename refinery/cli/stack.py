"""`refinery up`, `down`, `demo`, `topics`: the local stack (embedded broker + the four services)."""

import time
from pathlib import Path
from typing import Annotated

import orjson
import typer

from refinery.cli.common import STATE_FILE, Bootstrap, cli, collect, console, print_summary, settings_for
from refinery.devstack.stack import SERVICES, Stack, stop_from_state, write_state
from schemas import Result
from services.settings import Settings


@cli.command()
def up(
    bootstrap: Bootstrap = None,
    replicas: Annotated[int, typer.Option(help="Processes per service.")] = 1,
    storage: Annotated[
        str,
        typer.Option(help="Embedded broker storage: s3 (durable: a local SeaweedFS) or memory (lost on stop)."),
    ] = "s3",
) -> None:
    """Start the embedded broker (unless --bootstrap) and the four services in the background."""
    if STATE_FILE.exists():
        raise typer.BadParameter(f"{STATE_FILE} exists: run `refinery down` first")
    if storage not in ("s3", "memory"):
        raise typer.BadParameter("--storage is s3 or memory")
    STATE_FILE.parent.mkdir(exist_ok=True)
    stack = Stack(STATE_FILE.parent, bootstrap=bootstrap, storage=storage).start(())  # type: ignore[arg-type]
    for name in SERVICES:
        for _ in range(replicas):
            stack.start_service(name)
    write_state(STATE_FILE, stack)
    console.print(
        f"Refinery is up on {stack.bootstrap}; logs in {STATE_FILE.parent / 'logs'}; `refinery down` stops it."
    )


@cli.command()
def down() -> None:
    """Stop what `refinery up` started (services drain and commit first)."""
    if not STATE_FILE.exists():
        console.print("nothing to stop")
        return
    pids = stop_from_state(STATE_FILE)
    console.print(f"stopped {len(pids)} processes")


@cli.command()
def demo(
    requests_file: Annotated[Path, typer.Argument(exists=True)] = Path("examples/requests.jsonl"),
    output_path: Annotated[Path, typer.Option("--out")] = Path(".refinery/demo-results.jsonl"),
    timeout: float = 600.0,
) -> None:
    """Start everything, run the sample requests, print each Result, stop everything (`make run`)."""
    output_path.parent.mkdir(parents=True, exist_ok=True)
    with Stack(output_path.parent) as stack:
        stack.start()
        console.print(f"broker on {stack.bootstrap}; services: {', '.join(SERVICES)}")
        lines = [line for line in requests_file.read_bytes().splitlines() if line.strip()]
        started = time.monotonic()
        results = collect(lines, Settings(bootstrap_servers=stack.bootstrap), timeout)
        wall = time.monotonic() - started
    output_path.write_bytes(b"".join(orjson.dumps(r.model_dump(mode="json")) + b"\n" for r in results))
    for r in results:
        reason = f"  error: {r.error}" if r.error else ""
        latency = f"{r.latency_ms:.0f} ms" if r.latency_ms is not None else "-"
        console.print(
            f"[bold]{r.id}[/] {r.status.value} tier={r.tier} escalations={r.escalations} rounds={r.rounds} "
            f"tokens={r.ledger.tokens} latency={latency}{reason}\n  output: {orjson.dumps(r.output).decode()[:300]}"
        )
        console.print(f"  ledger: {tokens_by_model(r)}")
        if r.status.value != "accepted" and r.verdicts:
            console.print(f"  why: {'; '.join(v.message for v in r.verdicts)[:300]}")
    print_summary(results, wall)


def tokens_by_model(result: Result) -> str:
    """Tokens per stage and model, in ledger order: which tier spent what."""
    spent: dict[str, int] = {}
    for entry in result.ledger.entries:
        if entry.input_tokens or entry.output_tokens:
            key = f"{entry.stage} {entry.model}"
            spent[key] = spent.get(key, 0) + entry.input_tokens + entry.output_tokens
    return ", ".join(f"{k}: {v}" for k, v in spent.items()) or "no model calls"


@cli.command()
def topics(bootstrap: Bootstrap = None) -> None:
    """Create Refinery's topics on the configured Kafka (existing ones are left alone)."""
    from services.runtime.topics import ensure_topics

    created = ensure_topics(settings_for(bootstrap))
    console.print(f"created: {', '.join(created) or 'none (all exist)'}")
