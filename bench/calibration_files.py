"""The calibration set the router and ladder benches read: `--tasks` and `--calibration` (make calibrate)."""

import argparse
from pathlib import Path

TASKS = Path("build/tasks/ladder.jsonl")
CALIBRATION = Path("data/calibration-ladder.jsonl")


def calibration_args(description: str | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--tasks", type=Path, default=TASKS)
    parser.add_argument("--calibration", type=Path, default=CALIBRATION)
    return parser.parse_args()
