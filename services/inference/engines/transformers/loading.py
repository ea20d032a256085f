"""Where and how the transformers engine loads a model: device, dtype, and the GGUF converted once to
safetensors in the model cache."""

import os
import shutil
import tempfile
from pathlib import Path

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer

DTYPES = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}


def pick_device(device: str) -> torch.device:
    """`auto`: CUDA when torch sees a GPU, else the CPU; `cuda` without a GPU is an error."""
    if device == "cpu" or (device == "auto" and not torch.cuda.is_available()):
        return torch.device("cpu")
    if not torch.cuda.is_available():
        raise RuntimeError("device 'cuda' asked for, but torch sees no CUDA GPU")
    return torch.device("cuda")


def pick_dtype(dtype: str, device: torch.device) -> torch.dtype:
    if dtype == "auto":
        return torch.bfloat16 if device.type == "cuda" else torch.float32
    return DTYPES[dtype]


def converted_dir(model_path: Path, cache_dir: Path) -> Path:
    """A transformers copy of the GGUF at `model_path`, converted on first use (atomically: workers may race)."""
    if model_path.is_dir():
        return model_path
    if not model_path.is_file():
        raise FileNotFoundError(f"model file not found: {model_path}")
    target = cache_dir / "transformers" / model_path.stem
    if (target / "config.json").is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{model_path.stem}-"))
    try:
        gguf = {"gguf_file": model_path.name}
        AutoTokenizer.from_pretrained(model_path.parent, **gguf).save_pretrained(staging)
        model = AutoModelForCausalLM.from_pretrained(model_path.parent, dtype=torch.float32, **gguf)
        model.hf_quantizer = None  # the weights are dequantised already: plain float tensors to save
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
        model.save_pretrained(staging)
        os.replace(staging, target)
    except OSError:
        if not (target / "config.json").is_file():  # not just a race lost to another worker
            raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def convert_tiers(tiers_file: str | Path) -> None:
    """Convert every local tier's model ahead of time (image builds), into the settings' model cache."""
    from services.inference.tiers import load_tiers
    from services.settings import get_settings

    cache = get_settings().model_cache
    for tier in load_tiers(Path(tiers_file)).values():
        if tier.engine in ("local", "transformers"):
            converted_dir(tier.model_path(cache), cache)
