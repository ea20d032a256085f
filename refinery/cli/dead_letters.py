"""`refinery dlq list` and `refinery dlq replay`: the dead-letter topic, read and replayed."""

import asyncio
import datetime
from typing import Annotated

import typer
from rich.table import Table

from refinery.cli.common import Bootstrap, cli, console, settings_for
from refinery.dead_letters import read_dead_letters, replay

dlq = typer.Typer(help="Dead letters: records that failed every retry.", no_args_is_help=True)
cli.add_typer(dlq, name="dlq")


@dlq.command("list")
def list_letters(bootstrap: Bootstrap = None) -> None:
    """Every dead letter: request id, the stage it died in, attempts, first failure, last error."""
    letters = asyncio.run(read_dead_letters(settings_for(bootstrap)))
    table = Table(title=f"{len(letters)} dead letters")
    for column in ("request", "stage", "attempts", "first failure (UTC)", "last error"):
        table.add_column(column)
    for letter in letters:
        first = datetime.datetime.fromtimestamp(letter.first_failure_ms / 1000, datetime.UTC).isoformat(
            timespec="seconds"
        )
        table.add_row(letter.key or "?", letter.stage, str(letter.attempts), first, letter.last_error)
    console.print(table)


@dlq.command("replay")
def replay_letters(
    request_id: Annotated[list[str] | None, typer.Option("--id", help="Only these request ids (repeatable).")] = None,
    bootstrap: Bootstrap = None,
) -> None:
    """Send dead letters back to the topic they failed on, each as a new request `<id>~replay<N>`."""
    settings = settings_for(bootstrap)
    letters = asyncio.run(read_dead_letters(settings))
    chosen = [letter for letter in letters if not request_id or letter.key in request_id]
    taken = {letter.key for letter in letters if letter.key}
    for old, new in asyncio.run(replay(settings, chosen, taken)):
        console.print(f"{old} → {new}")
