"""`refinery drift`: has what the tiers produce moved from its baseline, where, and since when."""

import asyncio
import datetime
from typing import Annotated

import orjson
import typer
from rich.table import Table

from refinery.cli.common import Bootstrap, cli, console, settings_for


def _when(ms: int | None) -> str:
    if ms is None:
        return ""
    return datetime.datetime.fromtimestamp(ms / 1000, datetime.UTC).isoformat(timespec="seconds")


@cli.command()
def drift(
    threshold: Annotated[float | None, typer.Option(help="Alert threshold (default: DRIFT_THRESHOLD).")] = None,
    embeddings: Annotated[bool, typer.Option(help="Compare what outputs mean (the critic's encoder).")] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON lines.")] = False,
    bootstrap: Bootstrap = None,
) -> None:
    """Replay the Result topic through the drift monitor: per tier (schema `*`) and per schema family, the
    score now, its peak, since when it is over the threshold and when it first crossed, and what moved
    beyond chance. Exits 1 when any group is over the threshold now."""
    from refinery.drift_report import drift_report

    settings = settings_for(bootstrap)
    if threshold is not None:
        settings = settings.model_copy(update={"drift_threshold": threshold})
    embed = None
    if embeddings:
        from services.inference.encoder import SentenceEncoder

        embed = SentenceEncoder(threads=1).encode
    fed, rows = asyncio.run(drift_report(settings, embed))
    if as_json:
        for row in rows:
            moved = [{"component": m.component, "observed": m.observed, "chance": m.chance} for m in row.moved]
            print(orjson.dumps(row.__dict__ | {"moved": moved}).decode())
    else:
        table = Table(title=f"drift over {fed} Results (alert at {settings.drift_threshold})")
        columns = ("tier", "schema", "results", "score", "peak", "over since (UTC)", "first crossed", "moved")
        for column in columns:
            table.add_column(column)
        for row in rows:
            moved = ", ".join(f"{m.component} {m.observed:g} (chance {m.chance:g})" for m in row.moved)
            schema = row.schema + (" (new)" if row.new else "")
            score = f"[bold red]{row.score:g}[/]" if row.over_threshold else f"{row.score:g}"
            when = (_when(row.over_since_ms), _when(row.first_crossed_ms))
            table.add_row(row.tier, schema, str(row.observations), score, f"{row.peak:g}", *when, moved)
        console.print(table)
    raise typer.Exit(1 if any(row.over_threshold for row in rows) else 0)
