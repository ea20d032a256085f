"""`refinery tasks`, `calibrate`, `train`: the router's data, outcomes and model."""

from pathlib import Path
from typing import Annotated

import orjson
import typer

from refinery.cli.common import cli, console, progress_bar
from services.settings import Settings


@cli.command()
def tasks(
    output_path: Annotated[Path, typer.Argument(metavar="OUT.jsonl")],
    limit: Annotated[int | None, typer.Option(help="At most this many tasks per category.")] = None,
    category: Annotated[list[str] | None, typer.Option(help="simple_python, live_multiple (default: both).")] = None,
) -> None:
    """Write BFCL tasks (../shared/data) as GenerationRequests with their ground truth."""
    from services.documents.bfcl import bfcl_requests

    rows = [r for c in category or ["simple_python", "live_multiple"] for r in bfcl_requests(limit=limit, category=c)]
    output_path.parent.mkdir(parents=True, exist_ok=True)
    output_path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))
    console.print(f"wrote {len(rows)} tasks to {output_path}")


@cli.command()
def calibrate(
    tasks_path: Annotated[Path, typer.Argument(metavar="TASKS.jsonl", exists=True, dir_okay=False)],
    output_path: Annotated[Path, typer.Option("--out", help="Calibration records (appended; resumes).")] = Path(
        "data/calibration-ladder.jsonl"
    ),
    tier: Annotated[list[str] | None, typer.Option(help="Only these tiers (default: all).")] = None,
    limit: Annotated[int | None, typer.Option(help="Only the first N tasks of the file.")] = None,
    rejudge: Annotated[
        bool, typer.Option(help="Judge the stored drafts again with today's checks and answer rule (no model).")
    ] = False,
) -> None:
    """Run every task through every tier (generator + critic, no routing) and record the outcomes."""
    from refinery.calibrate import calibrate as run_calibration
    from refinery.calibrate import rejudge_file
    from schemas import GenerationRequest
    from services.critic.menu_judge import load_menu_judge
    from services.inference.engines import EnginePool
    from services.inference.menu_shortlist import load_menu_shortlist
    from services.inference.tiers import load_tiers
    from services.pipeline import Pipeline

    settings = Settings()
    all_tiers = load_tiers(settings.tiers_file)
    chosen = tier or list(all_tiers)
    requests = [GenerationRequest.model_validate_json(line) for line in tasks_path.read_bytes().splitlines() if line]
    requests = requests[:limit] if limit is not None else requests
    menu_judge = load_menu_judge(settings.menu_judge_margin)
    if rejudge:
        console.print(f"{rejudge_file(requests, output_path, menu_judge)} records changed in {output_path}")
        return
    output_path.parent.mkdir(parents=True, exist_ok=True)
    shortlist = load_menu_shortlist(settings.menu_shortlist_margin, menu_judge.encoder if menu_judge else None)
    pipeline = Pipeline(EnginePool(all_tiers, settings), max_rounds=0, menu_judge=menu_judge, menu_shortlist=shortlist)
    with progress_bar("calibrate") as progress:
        bar = progress.add_task("calibrate", total=len(requests) * len(chosen))
        added = run_calibration(requests, chosen, pipeline, output_path, on_record=lambda _: progress.advance(bar))
    console.print(f"{added} new records in {output_path}")


@cli.command()
def train(
    tasks_path: Annotated[list[Path], typer.Option("--tasks", exists=True, dir_okay=False)],
    calibration: Annotated[list[Path], typer.Option(exists=True, dir_okay=False)],
    output_path: Annotated[Path, typer.Option("--out")] = Path("models/router.onnx"),
) -> None:
    """Train the router on calibration outcomes (held-out tasks excluded) and export it to ONNX."""
    from services.classifier.training import train_and_export
    from services.inference.tiers import load_tiers

    tiers = list(load_tiers(Settings().tiers_file))
    router, train_set, test_set = train_and_export(tasks_path, calibration, tiers, output_path)
    console.print(
        f"trained on {len(train_set.requests)} tasks ({len(test_set.requests)} held out); "
        f"C per tier {router.regularisation}; wrote {output_path}"
    )
