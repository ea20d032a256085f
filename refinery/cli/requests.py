"""`refinery batch` and `refinery submit`: requests onto Kafka, Results back."""

import asyncio
import sys
import time
from pathlib import Path
from typing import Annotated

import orjson
import typer

from refinery.cli.common import Bootstrap, cli, collect, print_summary, settings_for
from refinery.client import run_batch


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
    results = collect(lines, settings_for(bootstrap), timeout)
    output_path.write_bytes(b"".join(orjson.dumps(r.model_dump(mode="json")) + b"\n" for r in results))
    print_summary(results, time.monotonic() - started)


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
    [result] = asyncio.run(run_batch([orjson.dumps(request)], settings_for(bootstrap), timeout))
    sys.stdout.write(result.model_dump_json(indent=2) + "\n")
    raise typer.Exit(0 if result.status.value == "accepted" else 1)
