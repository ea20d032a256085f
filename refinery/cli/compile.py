"""`refinery compile`: optimise each tier's generation prompt on dev tasks → config/prompts/<tier>.json."""

from pathlib import Path
from typing import Annotated

import typer

from refinery.cli.common import cli, console
from services.settings import Settings

OUTCOMES = Path("build/compile/outcomes.jsonl")


@cli.command(name="compile")
def compile_prompts(
    tier: Annotated[list[str] | None, typer.Option(help="Only these tiers (default: all).")] = None,
    out_dir: Annotated[Path, typer.Option("--out", help="Where the prompt artifacts go.")] = Path("config/prompts"),
    outcomes: Annotated[Path, typer.Option(help="Scored drafts, appended (a rerun resumes).")] = OUTCOMES,
    threads: Annotated[int, typer.Option(help="Model threads.")] = 2,
) -> None:
    """Search instructions and demonstrations per tier; keep the best by accuracy per 1k tokens at no less
    accuracy than the hand-written prompt, if it is no less accurate on a validation slice either.
    Deterministic (greedy decoding, fixed splits) and resumable."""
    from refinery.compile.evaluate import OutcomeCache
    from refinery.compile.search import compile_prompt
    from refinery.compile.tasks import DEMO_POOL, TUNE, VALIDATE, data_version, split
    from services.inference.engines import EnginePool
    from services.inference.prompt_artifact import save_prompt
    from services.inference.tiers import load_tiers

    settings = Settings(model_threads=threads)
    tiers = load_tiers(settings.tiers_file)
    pool, tune, held, version = split(DEMO_POOL), split(TUNE), split(VALIDATE), data_version()
    cache = OutcomeCache(outcomes)
    engines = EnginePool(tiers, settings)
    for name in tier or list(tiers):
        engine, chosen = engines.get(name), tiers[name]
        prompt, _ = compile_prompt(
            name,
            lambda p, e=engine, t=chosen: cache.evaluate(e, t, p, tune),
            pool,
            version,
            console.print,
            validate=lambda p, e=engine, t=chosen: cache.evaluate(e, t, p, held),
        )
        path = save_prompt(out_dir, prompt)
        console.print(f"{name}: {prompt.version} {prompt.dev_score} → {path}")
