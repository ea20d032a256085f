"""`make adapter`: the Harbour & Pine voice, from dataset to GGUF LoRA on the medium tier, reproducibly.

    .venv/bin/python -m refinery.adapters.build [--limit N] [--epochs E]

Writes data/voice/harbour-pine.jsonl (the dataset: training products, then held-out ones),
models/adapters/harbour-pine.gguf (the adapter the medium tier carries, config/tiers.toml) and
models/adapters/harbour-pine.json (how it was trained: seed, examples, loss, time).
"""

import argparse

import orjson

from refinery.adapters.convert import to_gguf
from refinery.adapters.train import TrainSettings, train_adapter
from refinery.adapters.voice_data import SCHEMA, TRAIN, examples
from services.inference.tiers import load_tiers
from services.settings import REPO_ROOT, Settings

NAME = "harbour-pine"
TIER = "medium"
DATASET = REPO_ROOT / "data" / "voice" / f"{NAME}.jsonl"
ADAPTER = REPO_ROOT / "models" / "adapters" / f"{NAME}.gguf"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--limit", type=int, default=TRAIN, help="train on the first N training examples")
    parser.add_argument("--epochs", type=int, default=1)
    args = parser.parse_args()
    rows = examples()
    DATASET.parent.mkdir(parents=True, exist_ok=True)
    DATASET.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))
    tier = load_tiers(Settings().tiers_file)[TIER]
    work = REPO_ROOT / "build" / "adapters" / NAME
    settings = TrainSettings(epochs=args.epochs)
    stats = train_adapter(tier, rows[: min(args.limit, TRAIN)], SCHEMA, work, settings)
    to_gguf(work, ADAPTER, REPO_ROOT / "build" / "llama-cpp-source")
    report = {"adapter": NAME, "tier": TIER, "base": tier.model_name, **settings.__dict__, **stats}
    ADAPTER.with_suffix(".json").write_bytes(orjson.dumps(report, option=orjson.OPT_INDENT_2) + b"\n")
    print(orjson.dumps(report).decode())


if __name__ == "__main__":
    main()
