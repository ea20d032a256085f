"""Train a brand-voice LoRA adapter with PEFT on the CPU, reproducibly (pinned seed, fixed data and order).

The base model is the tier's own GGUF, loaded by transformers (dequantised to fp32), so the adapter learns
on the weights it will be applied to. Each example is rendered exactly as the generator prompts the tier
(the tier's instruction, the request and its JSON Schema, through the model's chat template); the loss
counts only the card's tokens. The adapter (q/k/v/o projections, rank 8) is saved in PEFT's format and
converted to a GGUF LoRA by llama.cpp's own converter (refinery/adapters/convert.py).
"""

import random
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from services.inference.prompts import compact_json, generation_messages
from services.inference.tiers import Tier

TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj"]


@dataclass(frozen=True)
class TrainSettings:
    seed: int = 0
    rank: int = 8
    learning_rate: float = 3e-4
    epochs: int = 1
    accumulate: int = 4  # examples per optimiser step
    threads: int = 2


def _tokenised(tokenizer: Any, tier: Tier, example: dict[str, Any], schema: dict[str, Any]) -> tuple[list[int], int]:
    """(token ids, where the answer starts): the generator's prompt, then the card and the end of turn."""
    messages = generation_messages(example["prompt"], schema, None, tier.prompt)
    prompt = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
    answer_ids = tokenizer(compact_json(example["output"]) + "<|im_end|>", add_special_tokens=False)["input_ids"]
    return prompt_ids + answer_ids, len(prompt_ids)


def train_adapter(
    tier: Tier, examples: list[dict[str, Any]], schema: dict[str, Any], out_dir: Path, settings: TrainSettings
) -> dict[str, Any]:
    """Train, save the PEFT adapter and the base model's config (the converter needs it) to `out_dir`."""
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch.manual_seed(settings.seed)
    torch.set_num_threads(settings.threads)
    random.seed(settings.seed)
    gguf = tier.model_path()
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.float32)
    config = LoraConfig(
        r=settings.rank, lora_alpha=2 * settings.rank, lora_dropout=0.0, target_modules=TARGETS, task_type="CAUSAL_LM"
    )
    model = get_peft_model(model, config)
    model.train()
    optimiser = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=settings.learning_rate)
    order = list(range(len(examples)))
    losses: list[float] = []
    started = time.perf_counter()
    for epoch in range(settings.epochs):
        random.Random(settings.seed + epoch).shuffle(order)
        for step, index in enumerate(order, start=1):
            ids, answer_from = _tokenised(tokenizer, tier, examples[index], schema)
            input_ids = torch.tensor([ids])
            labels = input_ids.clone()
            labels[0, :answer_from] = -100
            loss = model(input_ids=input_ids, labels=labels).loss
            (loss / settings.accumulate).backward()
            losses.append(loss.item())
            if step % settings.accumulate == 0 or step == len(order):
                optimiser.step()
                optimiser.zero_grad()
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out_dir)
    base = model.base_model.model
    base.config.architectures = [type(base).__name__]  # a model loaded from GGUF leaves it unset
    base.config.save_pretrained(out_dir / "base")  # what llama.cpp's converter needs of the base
    config_file = out_dir / "base" / "config.json"  # …without the GGUF loader's note: the base is not quantized
    config_file.write_bytes(
        orjson.dumps({k: v for k, v in orjson.loads(config_file.read_bytes()).items() if k != "quantization_config"})
    )
    window = max(1, len(losses) // 10)
    return {
        "examples": len(examples),
        "epochs": settings.epochs,
        "seconds": round(time.perf_counter() - started, 1),
        "loss_first": round(sum(losses[:window]) / window, 4),
        "loss_last": round(sum(losses[-window:]) / window, 4),
        "trainable_params": sum(p.numel() for p in model.parameters() if p.requires_grad),
    }
