"""What every command group shares: the Typer app, the console, the settings a command talks to."""

import asyncio
import json
import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from refinery.client import run_batch, summarise
from schemas import Result
from services.settings import Settings

cli = typer.Typer(help="Refinery: validated structured generation over Kafka.", no_args_is_help=True)
console = Console(stderr=True)
STATE_FILE = Path(".refinery/stack.json")
Bootstrap = Annotated[str | None, typer.Option(help="Kafka bootstrap servers (default: REFINERY_BOOTSTRAP_SERVERS).")]


def settings_for(bootstrap: str | None) -> Settings:
    """The given servers, else REFINERY_BOOTSTRAP_SERVERS, else the stack `refinery up` started."""
    if bootstrap:
        return Settings(bootstrap_servers=bootstrap)
    if "REFINERY_BOOTSTRAP_SERVERS" not in os.environ and STATE_FILE.exists():
        return Settings(bootstrap_servers=json.loads(STATE_FILE.read_text())["bootstrap"])
    return Settings()


def progress_bar(label: str) -> Progress:
    columns = (TextColumn(f"[bold]{label}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    return Progress(*columns, console=console, transient=False)


def collect(lines: list[bytes], settings: Settings, timeout: float) -> list[Result]:
    with progress_bar("results") as progress:
        task = progress.add_task("results", total=len(lines))
        return asyncio.run(run_batch(lines, settings, timeout, on_result=lambda _: progress.advance(task)))


def print_summary(results: list[Result], wall_s: float) -> None:
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
