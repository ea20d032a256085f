"""Export every contract's JSON Schema and an AsyncAPI 3.0 document of the topic map to schemas/json/.

`python -m schemas.export --check` fails when the checked-in files drift from the models (run in CI)."""

import argparse
import sys
from pathlib import Path
from typing import Any

import orjson
from pydantic import BaseModel

from schemas import ClassifiedRequest, Critique, Draft, ErrorRecord, GenerationRequest, Result

OUT = Path(__file__).parent / "json"
MODELS: dict[str, type[BaseModel]] = {
    "GenerationRequest": GenerationRequest,
    "ClassifiedRequest": ClassifiedRequest,
    "Draft": Draft,
    "Critique": Critique,
    "Result": Result,
    "ErrorRecord": ErrorRecord,
}
# channel (default topic name, see services/settings.py) → (message, producer, consumer)
CHANNELS = {
    "refinery.requests": ("GenerationRequest", "producers", "classifier"),
    "refinery.generate.{tier}": ("ClassifiedRequest", "classifier, critic (escalation)", "generator"),
    "refinery.drafts": ("Draft", "generator, refiner", "critic"),
    "refinery.revise": ("Critique", "critic", "refiner"),
    "refinery.results": ("Result", "classifier, generator, critic, refiner", "producers"),
    "refinery.errors": ("ErrorRecord", "every service", "operators"),
}


def json_schemas() -> dict[str, dict[str, Any]]:
    return {name: model.model_json_schema(by_alias=True, mode="serialization") for name, model in MODELS.items()}


def asyncapi() -> dict[str, Any]:
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    for address, (message, producer, consumer) in CHANNELS.items():
        key = address.replace(".", "_").replace("{tier}", "tier")
        channel: dict[str, Any] = {
            "address": address,
            "description": f"{producer} → {consumer}. Kafka key: the request id.",
            "messages": {message: {"$ref": f"#/components/messages/{message}"}},
        }
        if "{tier}" in address:
            channel["parameters"] = {"tier": {"description": "A tier name from the tiers file."}}
        channels[key] = channel
        operations[f"consume_{key}"] = {
            "action": "receive",
            "channel": {"$ref": f"#/channels/{key}"},
            "summary": f"{consumer} consumes {message}",
        }
    return {
        "asyncapi": "3.0.0",
        "info": {"title": "Refinery", "version": "0.1.0", "description": "Validated structured generation over Kafka."},
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": {
            "messages": {name: {"name": name, "payload": {"$ref": f"./{name}.json"}} for name in MODELS},
        },
    }


def rendered() -> dict[str, bytes]:
    option = orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS
    files = {f"{name}.json": orjson.dumps(schema, option=option) + b"\n" for name, schema in json_schemas().items()}
    files["asyncapi.json"] = orjson.dumps(asyncapi(), option=option) + b"\n"
    return files


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail if schemas/json/ is out of date")
    args = parser.parse_args()
    files = rendered()
    if args.check:
        stale = [n for n, data in files.items() if not (OUT / n).exists() or (OUT / n).read_bytes() != data]
        extra = [p.name for p in OUT.glob("*.json") if p.name not in files]
        if stale or extra:
            print(f"schemas/json is out of date ({', '.join(stale + extra)}): run `make schemas`", file=sys.stderr)
            return 1
        print(f"schemas/json is current ({len(files)} files)")
        return 0
    OUT.mkdir(exist_ok=True)
    for name, data in files.items():
        (OUT / name).write_bytes(data)
    print(f"wrote {len(files)} files to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
