"""`refinery`: run the stack, submit requests, run batches."""

import asyncio
import importlib
import json
import logging
import os
import sys
import time
from pathlib import Path
from typing import Annotated

import orjson
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from schemas import Result
from services.client.batch import run_batch, summarise
from services.client.stack import SERVICES, Stack, stop_from_state, write_state
from services.common.settings import Settings

cli = typer.Typer(help="Refinery: validated structured generation over Kafka.", no_args_is_help=True)
console = Console(stderr=True)
STATE_FILE = Path(".refinery/stack.json")
Bootstrap = Annotated[str | None, typer.Option(help="Kafka bootstrap servers (default: REFINERY_BOOTSTRAP_SERVERS).")]


def _settings(bootstrap: str | None) -> Settings:
    if bootstrap:
        return Settings(bootstrap_servers=bootstrap)
    if "REFINERY_BOOTSTRAP_SERVERS" not in os.environ and STATE_FILE.exists():
        return Settings(bootstrap_servers=json.loads(STATE_FILE.read_text())["bootstrap"])
    return Settings()


def _collect(lines: list[bytes], settings: Settings, timeout: float) -> list[Result]:
    columns = (TextColumn("[bold]results"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task("results", total=len(lines))
        return asyncio.run(run_batch(lines, settings, timeout, on_result=lambda _: progress.advance(task)))


def _print_summary(results: list[Result], wall_s: float) -> None:
    summary = summarise(results)
    table = Table(title=f"{summary['requests']} requests in {wall_s:.1f} s")
    for column in ("status", "count"):
        table.add_column(column)
    for status, count in sorted(summary["by_status"].items()):
        table.add_row(status, str(count))
    console.print(table)
    p50, p95 = summary["latency_p50_ms"], summary["latency_p95_ms"]
    console.print(
        f"tokens {summary['tokens']}  cost {summary['cost']:.6f}  latency p50 {p50 or 0:.0f} ms  p95 {p95 or 0:.0f} ms"
    )


@cli.command()
def batch(
    input_path: Annotated[Path, typer.Argument(metavar="IN.jsonl", exists=True, dir_okay=False)],
    output_path: Annotated[Path, typer.Argument(metavar="OUT.jsonl")],
    bootstrap: Bootstrap = None,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for all Results.")] = 600.0,
) -> None:
    """Publish every request in IN.jsonl, write one Result per line to OUT.jsonl in input order."""
    lines = [line for line in input_path.read_bytes().splitlines() if line.strip()]
    started = time.monotonic()
    results = _collect(lines, _settings(bootstrap), timeout)
    output_path.write_bytes(b"".join(orjson.dumps(r.model_dump(mode="json")) + b"\n" for r in results))
    _print_summary(results, time.monotonic() - started)


@cli.command()
def submit(
    schema: Annotated[Path, typer.Option(exists=True, dir_okay=False, help="JSON Schema file.")],
    prompt: Annotated[str, typer.Option(help="The task.")],
    context: Annotated[Path | None, typer.Option(exists=True, dir_okay=False, help="Source text file.")] = None,
    max_tokens: Annotated[int, typer.Option(help="Token budget.")] = 2000,
    tier: Annotated[str | None, typer.Option(help="Force a tier.")] = None,
    request_id: Annotated[str | None, typer.Option("--id", help="Request id (default: generated).")] = None,
    bootstrap: Bootstrap = None,
    timeout: float = 300.0,
) -> None:
    """Submit one request and print its Result."""
    request = {
        "id": request_id or f"submit-{time.time_ns()}",
        "prompt": prompt,
        "schema": orjson.loads(schema.read_bytes()),
        "budget": {"max_tokens": max_tokens},
    }
    if context is not None:
        request["context"] = context.read_text()
    if tier:
        request["tier"] = tier
    [result] = asyncio.run(run_batch([orjson.dumps(request)], _settings(bootstrap), timeout))
    sys.stdout.write(result.model_dump_json(indent=2) + "\n")
    raise typer.Exit(0 if result.status.value == "accepted" else 1)


@cli.command()
def up(
    bootstrap: Bootstrap = None,
    replicas: Annotated[int, typer.Option(help="Processes per service.")] = 1,
) -> None:
    """Start the embedded broker (unless --bootstrap) and the four services in the background."""
    if STATE_FILE.exists():
        raise typer.BadParameter(f"{STATE_FILE} exists: run `refinery down` first")
    STATE_FILE.parent.mkdir(exist_ok=True)
    stack = Stack(STATE_FILE.parent, bootstrap=bootstrap).start(())
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
def service(name: Annotated[str, typer.Argument(help=f"One of: {', '.join(SERVICES)}")]) -> None:
    """Run one service in the foreground (what each Kubernetes Deployment runs)."""
    if name not in SERVICES:
        raise typer.BadParameter(f"unknown service {name!r}; one of {SERVICES}")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    module = importlib.import_module(f"services.{name}.app")
    asyncio.run(module.app.run())


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
        results = _collect(lines, Settings(bootstrap_servers=stack.bootstrap), timeout)
        wall = time.monotonic() - started
    output_path.write_bytes(b"".join(orjson.dumps(r.model_dump(mode="json")) + b"\n" for r in results))
    for r in results:
        reason = f"  error: {r.error}" if r.error else ""
        latency = f"{r.latency_ms:.0f} ms" if r.latency_ms is not None else "-"
        console.print(
            f"[bold]{r.id}[/] {r.status.value} tier={r.tier} rounds={r.rounds} tokens={r.ledger.tokens} "
            f"latency={latency}{reason}\n  output: {orjson.dumps(r.output).decode()[:300]}"
        )
    _print_summary(results, wall)


@cli.command("serve-model")
def serve_model(
    tier: Annotated[str, typer.Option(help="A llama_cpp tier from the tiers file.")] = "small",
    host: str = "127.0.0.1",
    port: int = 8000,
) -> None:
    """Serve a local tier over the OpenAI chat-completions protocol (JSON-schema constrained)."""
    from services.common.engines.registry import build_engine
    from services.common.tiers import load_tiers
    from services.generator.serve import serve

    settings = Settings()
    chosen = load_tiers(settings.tiers_file)[tier]
    server = serve(build_engine(chosen, settings), host, port, chosen.max_new_tokens)
    console.print(f"serving {chosen.model_name} on http://{host}:{port}/v1 (Ctrl-C stops)")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.shutdown()


@cli.command()
def tasks(
    output_path: Annotated[Path, typer.Argument(metavar="OUT.jsonl")],
    limit: Annotated[int | None, typer.Option(help="At most this many tasks.")] = None,
) -> None:
    """Write BFCL simple_python (../shared/data) as GenerationRequests with their ground truth."""
    from services.client.datasets import bfcl_requests

    rows = bfcl_requests(limit=limit)
    output_path.parent.mkdir(parents=True, exist_ok=True)
    output_path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))
    console.print(f"wrote {len(rows)} tasks to {output_path}")


@cli.command()
def calibrate(
    tasks_path: Annotated[Path, typer.Argument(metavar="TASKS.jsonl", exists=True, dir_okay=False)],
    output_path: Annotated[Path, typer.Option("--out", help="Calibration records (appended; resumes).")] = Path(
        "data/calibration.jsonl"
    ),
    tier: Annotated[list[str] | None, typer.Option(help="Only these tiers (default: all).")] = None,
) -> None:
    """Run every task through every tier (generator + critic, no routing) and record the outcomes."""
    from schemas import GenerationRequest
    from services.client.calibrate import calibrate as run_calibration
    from services.common.engines.registry import build_engine
    from services.common.tiers import load_tiers

    settings = Settings()
    all_tiers = load_tiers(settings.tiers_file)
    chosen = [all_tiers[name] for name in tier] if tier else list(all_tiers.values())
    requests = [GenerationRequest.model_validate_json(line) for line in tasks_path.read_bytes().splitlines() if line]
    output_path.parent.mkdir(parents=True, exist_ok=True)
    columns = (TextColumn("[bold]calibrate"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console) as progress:
        bar = progress.add_task("calibrate", total=len(requests) * len(chosen))
        added = run_calibration(
            requests,
            chosen,
            lambda t: build_engine(t, settings),
            output_path,
            on_record=lambda _: progress.advance(bar),
        )
    console.print(f"{added} new records in {output_path}")


@cli.command()
def train(
    tasks_path: Annotated[list[Path], typer.Option("--tasks", exists=True, dir_okay=False)],
    calibration: Annotated[list[Path], typer.Option(exists=True, dir_okay=False)],
    output_path: Annotated[Path, typer.Option("--out")] = Path("models/router.onnx"),
) -> None:
    """Train the router on calibration outcomes (held-out tasks excluded) and export it to ONNX."""
    from services.classifier.training import train_and_export
    from services.common.tiers import load_tiers

    tiers = list(load_tiers(Settings().tiers_file))
    router, train_set, test_set = train_and_export(tasks_path, calibration, tiers, output_path)
    console.print(
        f"trained on {len(train_set.requests)} tasks ({len(test_set.requests)} held out); "
        f"C per tier {router.regularisation}; wrote {output_path}"
    )


@cli.command()
def topics(bootstrap: Bootstrap = None) -> None:
    """Create Refinery's topics on the configured Kafka (existing ones are left alone)."""
    from infra.local.broker import ensure_topics

    created = ensure_topics(_settings(bootstrap))
    console.print(f"created: {', '.join(created) or 'none (all exist)'}")


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
