"""LoRA adapters on a llama.cpp model: each file loaded once, applied to a context per call or batch.

llama.cpp applies an adapter per context, to every sequence decoded in it, so a batch holds the calls of one
adapter only: each adapter gets its own view of the engine (`AdapterView`), with its own batcher.
Switching costs no reload of the base model, only the prompt cache (computed under the other weights)."""

import ctypes
from pathlib import Path
from typing import Any

import llama_cpp


class LoraAdapters:
    def __init__(self, model: Any, close_stack: Any) -> None:
        self._model = model  # llama_model_p
        self._close = close_stack  # the Llama's ExitStack: adapters are freed with the model
        self._files: dict[str, Path] = {}
        self._loaded: dict[str, Any] = {}
        self.active: str | None = None  # set on every context `use` was given

    def register(self, name: str, path: Path) -> None:
        if not path.is_file():
            raise FileNotFoundError(f"adapter {name!r}: no file at {path}")
        self._files[name] = path

    def _handle(self, name: str) -> Any:
        if name not in self._loaded:
            if name not in self._files:
                raise ValueError(f"adapter {name!r} is not registered with this engine")
            handle = llama_cpp.llama_adapter_lora_init(self._model, str(self._files[name]).encode())
            if not handle:
                raise ValueError(f"adapter {name!r}: llama.cpp could not load {self._files[name]}")
            self._close.callback(llama_cpp.llama_adapter_lora_free, handle)
            self._loaded[name] = handle
        return self._loaded[name]

    def use(self, name: str | None, contexts: list[Any]) -> bool:
        """Make `name` the adapter of `contexts`; True when it changed (the caller's prompt cache, computed
        under the other weights, is stale)."""
        if name == self.active:
            return False
        for context in contexts:
            self.apply(context, name)
        self.active = name
        return True

    def apply(self, context: Any, name: str | None) -> None:
        """Set `name` (None: no adapter) on a llama context."""
        if name is None:
            failed = llama_cpp.llama_set_adapters_lora(context, None, 0, None)
        else:
            handles = (llama_cpp.llama_adapter_lora_p_ctypes * 1)(self._handle(name))
            failed = llama_cpp.llama_set_adapters_lora(context, handles, 1, (ctypes.c_float * 1)(1.0))
        if failed:
            raise RuntimeError(f"llama.cpp refused to set adapter {name!r}")


class AdapterView:
    """The engine with one adapter applied to every call: batched only with calls of the same adapter."""

    def __init__(self, engine: Any, adapter: str) -> None:
        self._engine = engine
        self.adapter = adapter
        self.model_name = f"{engine.model_name}+{adapter}"  # the ledger names the adapter
        self.max_batch = engine.max_batch

    def __getattr__(self, name: str) -> Any:  # count_tokens, render, grammar… are the base engine's
        return getattr(self._engine, name)

    def complete(self, messages: Any, json_schema: Any, max_new_tokens: int, on_text: Any = None) -> Any:
        return self._engine.complete(messages, json_schema, max_new_tokens, on_text, adapter=self.adapter)

    def complete_batch(self, calls: Any) -> Any:
        return self._engine.complete_batch(calls, adapter=self.adapter)
