"""Engines per tier, built lazily and kept for the life of the worker."""

import functools
import logging
from collections.abc import Callable
from typing import Any

from services.inference.engines.base import Engine
from services.inference.tiers import Tier
from services.settings import Settings

log = logging.getLogger("refinery.engines")


def _gpu_layers(tier: Tier) -> int:
    if tier.device == "cpu":
        return 0
    from llama_cpp import llama_supports_gpu_offload

    if llama_supports_gpu_offload():
        return -1  # every layer on the GPU
    if tier.device == "cuda":
        raise RuntimeError(f"tier {tier.name} wants CUDA but this llama.cpp build has no GPU offload")
    return 0


@functools.cache
def cuda_usable() -> bool:
    """A CUDA GPU torch can use. Without an NVIDIA driver or torch, torch is not even imported."""
    import importlib.util
    from pathlib import Path

    if not Path("/proc/driver/nvidia").exists() or importlib.util.find_spec("torch") is None:
        return False
    import torch

    return torch.cuda.is_available()


def engine_kind(tier: Tier) -> str:
    """The engine a tier runs on: `local` is transformers on a CUDA GPU, llama.cpp on the CPU."""
    if tier.engine != "local":
        return tier.engine
    return "transformers" if tier.device != "cpu" and cuda_usable() else "llama_cpp"


def _coalesced(engine: Any, settings: Settings) -> Engine:
    if engine.max_batch <= 1:
        return engine
    from services.inference.engines.coalesce import CoalescingEngine

    return CoalescingEngine(engine, engine.max_batch, settings.batch_window_ms / 1000)


def build_engine(tier: Tier, settings: Settings) -> Engine:
    kind = engine_kind(tier)
    if kind == "transformers":
        from services.inference.engines.transformers.engine import TransformersEngine

        return _coalesced(
            TransformersEngine(
                tier.model_path(settings.model_cache),
                tier.model_name,
                cache_dir=settings.model_cache,
                prompt_format=tier.prompt_format,
                context_window=tier.context_window,
                device=tier.device,
                dtype=tier.dtype,
                threads=settings.threads(),
                max_batch=tier.max_batch,
            ),
            settings,
        )
    if kind == "llama_cpp":
        from services.inference.engines.llama_cpp.engine import LlamaCppEngine

        engine = LlamaCppEngine(
            tier.model_path(settings.model_cache),
            tier.model_name,
            prompt_format=tier.prompt_format,
            context_window=tier.context_window,
            threads=settings.threads(),
            gpu_layers=_gpu_layers(tier),
            decoder=settings.constrained_decoder,
            max_batch=tier.max_batch,
            kv_cache=tier.kv_cache,
            drafter=tier.drafter,
            speculate_max_batch=tier.speculate_max_batch,
            draft_model_path=tier.draft.model_path(settings.model_cache) if tier.draft is not None else None,
        )
        return _coalesced(engine, settings)
    if kind == "openai":
        import os

        from services.inference.engines.openai_compat import OpenAICompatEngine

        if not tier.base_url:
            raise ValueError(f"tier {tier.name}: the openai engine needs base_url")
        api_key = os.environ.get(tier.api_key_env) if tier.api_key_env else None
        return OpenAICompatEngine(tier.base_url, tier.model_name, api_key=api_key, schema_mode=tier.schema_mode)
    raise ValueError(f"tier {tier.name}: unknown engine {tier.engine!r}")


EngineBuilder = Callable[[Tier, Settings], Engine]


class EnginePool:
    """One engine per tier, built on first use (`build` is the test seam: tests pass a stub engine)."""

    def __init__(self, tiers: dict[str, Tier], settings: Settings, build: EngineBuilder = build_engine) -> None:
        self.tiers = tiers
        self._settings = settings
        self._build = build
        self._engines: dict[str, Engine] = {}
        self._adapted: dict[tuple[str, str], Engine] = {}

    def get(self, tier: str, adapter: str | None = None) -> Engine:
        """The tier's engine; with `adapter`, a view of it that applies that LoRA adapter to every call
        (the base model is shared; calls are batched per adapter)."""
        if adapter is not None:
            return self._with_adapter(tier, adapter)
        if tier not in self._engines:
            self._engines[tier] = self._build(self.tiers[tier], self._settings)
            log.info("tier %s: %s engine, %s", tier, engine_kind(self.tiers[tier]), self._engines[tier].model_name)
        return self._engines[tier]

    def _with_adapter(self, tier: str, adapter: str) -> Engine:
        if (tier, adapter) not in self._adapted:
            path = self.tiers[tier].adapters.get(adapter)
            if path is None:
                raise ValueError(f"tier {tier} does not carry adapter {adapter!r}")
            base = self.get(tier)  # a batcher hands attribute lookups to the engine under it
            if not hasattr(base, "with_adapter"):
                raise ValueError(f"tier {tier}: the {engine_kind(self.tiers[tier])} engine cannot apply adapters")
            self._adapted[(tier, adapter)] = _coalesced(base.with_adapter(adapter, path), self._settings)
            log.info("tier %s: adapter %s from %s", tier, adapter, path)
        return self._adapted[(tier, adapter)]
