"""`refinery-service NAME` (or `python -m services NAME`): run one stage in the foreground, what each
Kubernetes Deployment runs. Models load in the app's start-up, not at import."""

import asyncio
import importlib
import logging
import sys

STAGES = ("classifier", "generator", "critic", "refiner")


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or args[0] not in STAGES:
        raise SystemExit(f"usage: refinery-service {{{','.join(STAGES)}}}")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    app = importlib.import_module(f"services.{args[0]}.app").create_app()
    asyncio.run(app.run())


if __name__ == "__main__":
    main()
