"""Constrained decoding on JSONSchemaBench dev (350 real schemas) → bench/results/constrained.json.

Per decoder (llguidance token masks; llama.cpp GBNF grammars), on the small tier (SmolLM2-135M, 2 threads):
- compile coverage over all schemas and compile time per schema;
- validity: outputs for a seeded sample of compiled schemas, validated with `jsonschema` (formats on)
  against the *original* schema; outputs cut off at the token limit are counted, and reported apart, as
  are outputs llguidance decoding closed early to end within the limit (engines/closing.py);
- overhead: decode time per token constrained vs unconstrained on the same prompts;
- llguidance mask time per token (mean, p99).

    .venv/bin/python -m bench.constrained [--sample 30]
    .venv/bin/python -m bench.constrained --all-compiled   # llguidance validity on every compiled schema,
                                                          # merged into constrained.json as `all_compiled`
    .venv/bin/python -m bench.constrained --relaxed        # the schemas llguidance refuses as given, decoded
                                                          # by their relaxed form, judged by the original
"""

import argparse
import random
import statistics
import time
from pathlib import Path

import orjson
from jsonschema import FormatChecker
from jsonschema.validators import validator_for

from services.documents.bfcl import data_dir, read_jsonl
from services.inference.decoding.llguidance_mask import compile_strict as strict_grammar
from services.inference.engines import SchemaCompileError
from services.inference.engines.registry import build_engine
from services.inference.tiers import load_tiers
from services.settings import Settings

OUT = Path(__file__).parent / "results" / "constrained.json"
MAX_NEW = 256
PROMPT = "Write one realistic example JSON value for this JSON Schema: {schema}"


def messages_for(task: dict) -> list[dict[str, str]]:
    return [{"role": "user", "content": PROMPT.format(schema=orjson.dumps(task["schema"]).decode()[:3000])}]


def first_error(schema: dict, text: str) -> str | None:
    """Why `text` is not valid under the original `schema` (jsonschema, formats on), or None."""
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        return "not JSON"
    error = next(validator_for(schema)(schema, format_checker=FormatChecker()).iter_errors(value), None)
    return None if error is None else str(error)[:160]


def per_token_ms(completion) -> float | None:
    if completion.output_tokens < 2 or completion.ttft_ms is None:
        return None
    return (completion.duration_ms - completion.ttft_ms) / (completion.output_tokens - 1)


def measure(decoder: str, schemas: list[dict], sample_ids: set[str], settings: Settings) -> dict:
    tier = load_tiers(settings.tiers_file)["small"]
    engine = build_engine(tier, settings.model_copy(update={"constrained_decoder": decoder}))
    compiled, compile_ms, failures = [], [], {}
    for task in schemas:
        started = time.perf_counter()
        try:
            engine.grammar(task["schema"])
            compiled.append(task)
        except SchemaCompileError as exc:
            failures[task["id"]] = str(exc)[:160]
        compile_ms.append((time.perf_counter() - started) * 1000)
    outputs = valid = truncated = closed_early = 0
    constrained_ms, free_ms, mask_s, invalid = [], [], [], []
    for task in compiled:
        if task["id"] not in sample_ids:
            continue
        messages = messages_for(task)
        if engine.count_tokens(messages) + MAX_NEW > tier.context_window:
            continue
        done = engine.complete(messages, task["schema"], MAX_NEW)
        mask_s += getattr(engine, "last_mask_seconds", []) if decoder == "llguidance" else []
        closed_early += done.closed_early
        outputs += 1
        why = first_error(task["schema"], done.text)
        truncated += why == "not JSON" and done.finish_reason == "length"
        if why:
            invalid.append({"id": task["id"], "why": why, "cut": done.finish_reason == "length"})
        else:
            valid += 1
        free = engine.complete(messages, None, max(done.output_tokens, 2))
        if (c := per_token_ms(done)) is not None and (f := per_token_ms(free)) is not None:
            constrained_ms.append(c)
            free_ms.append(f)
    mask_us = sorted(s * 1e6 for s in mask_s)
    return {
        "schemas": len(schemas),
        "compiled": len(compiled),
        "compile_ms_mean": round(statistics.mean(compile_ms), 3),
        "compile_ms_p99": round(sorted(compile_ms)[int(0.99 * (len(compile_ms) - 1))], 3),
        "outputs": outputs,
        "valid_outputs": valid,
        "truncated_outputs": truncated,
        "closed_early_outputs": closed_early,
        "decode_ms_per_token_constrained": round(statistics.mean(constrained_ms), 3) if constrained_ms else None,
        "decode_ms_per_token_unconstrained": round(statistics.mean(free_ms), 3) if free_ms else None,
        "overhead_per_token": round(statistics.mean(constrained_ms) / statistics.mean(free_ms) - 1, 4)
        if constrained_ms
        else None,
        "mask_us_mean": round(statistics.mean(mask_us), 1) if mask_us else None,
        "mask_us_p99": round(mask_us[int(0.99 * (len(mask_us) - 1))], 1) if mask_us else None,
        "invalid": invalid,
        "compile_failures": failures,
    }


def refused_as_given(schema: dict) -> bool:
    """llguidance refuses the schema itself: it decodes only by the relaxed form (decoding/relax.py)."""
    try:
        strict_grammar(schema)
    except SchemaCompileError:
        return True
    return False


def validity_on_all(schemas: list[dict], settings: Settings) -> dict:
    """llguidance outputs for every compiled schema whose prompt fits: valid, cut, closed early."""
    tier = load_tiers(settings.tiers_file)["small"]
    engine = build_engine(tier, settings)
    outputs = valid = cut = closed_early = 0
    invalid = []
    for task in schemas:
        try:
            engine.grammar(task["schema"])
        except SchemaCompileError:
            continue
        messages = messages_for(task)
        if engine.count_tokens(messages) + MAX_NEW > tier.context_window:
            continue
        done = engine.complete(messages, task["schema"], MAX_NEW)
        outputs += 1
        closed_early += done.closed_early
        cut += done.finish_reason == "length"
        if why := first_error(task["schema"], done.text):
            invalid.append({"id": task["id"], "why": why, "cut": done.finish_reason == "length"})
        else:
            valid += 1
    return {
        "decoder": "llguidance",
        "max_new_tokens": MAX_NEW,
        "outputs": outputs,
        "valid_outputs": valid,
        "cut_outputs": cut,
        "closed_early_outputs": closed_early,
        "invalid": invalid,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sample", type=int, default=30)
    parser.add_argument("--all-compiled", action="store_true")
    parser.add_argument("--relaxed", action="store_true", help="only the schemas llguidance refuses as given")
    args = parser.parse_args()
    schemas = list(read_jsonl(data_dir() / "jsonschemabench" / "dev.jsonl"))
    if args.relaxed:
        report = orjson.loads(OUT.read_bytes())
        refused = [t for t in schemas if refused_as_given(t["schema"])]
        report["relaxed"] = {"refused_as_given": len(refused), **validity_on_all(refused, Settings(model_threads=2))}
        OUT.write_bytes(orjson.dumps(report, option=orjson.OPT_INDENT_2))
        print({k: v for k, v in report["relaxed"].items() if k != "invalid"})
        return
    if args.all_compiled:
        report = orjson.loads(OUT.read_bytes())
        report["all_compiled"] = validity_on_all(schemas, Settings(model_threads=2))
        OUT.write_bytes(orjson.dumps(report, option=orjson.OPT_INDENT_2))
        print({k: v for k, v in report["all_compiled"].items() if k != "invalid"})
        return
    sample_ids = {t["id"] for t in random.Random(7).sample(schemas, min(len(schemas), args.sample * 2))}
    settings = Settings(model_threads=2)
    decoders = {d: measure(d, schemas, sample_ids, settings) for d in ("llguidance", "gbnf")}
    chosen = decoders["llguidance"]
    report = {
        "machine": "x86_64, 2 cores, CPU only",
        "model": "SmolLM2-135M-Instruct Q4_1 (llama.cpp), greedy",
        "decoder": "llguidance",
        **{k: chosen[k] for k in ("schemas", "compiled", "valid_outputs", "outputs", "overhead_per_token")},
        "decoders": decoders,
        "anchors_maskbench": {
            "llguidance": {"mask_us_mean": 47, "mask_us_p99": 460, "compile_ms": 1.6},
            "xgrammar": {"mask_us_mean": 292, "mask_us_p99": 4900, "compile_ms": 4100},
        },
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    if OUT.is_file() and "all_compiled" in (earlier := orjson.loads(OUT.read_bytes())):
        report["all_compiled"] = earlier["all_compiled"]  # kept: its own, longer run (--all-compiled)
    OUT.write_bytes(orjson.dumps(report, option=orjson.OPT_INDENT_2))
    for name, d in decoders.items():
        print(name, {k: v for k, v in d.items() if k not in ("invalid", "compile_failures")})


if __name__ == "__main__":
    main()
