"""Any OpenAI-compatible chat-completions server (vLLM, llama.cpp server, TGI, `refinery serve-model`).

Constrained output through `response_format: json_schema` or vLLM's `guided_json`; tokens from the
server's `usage`; streaming, so TTFT is measured. Input tokens for budget planning come from the server's
`/tokenize` endpoint (vLLM, llama.cpp server and `refinery serve-model` have one); without it, a
conservative estimate (one token per 3 characters) keeps the budget ceiling safe."""

import time
from typing import Any

import httpx
import orjson

from services.inference.engines.base import Completion, Message, SchemaCompileError

CHARS_PER_TOKEN_LOW = 3  # English runs ~4 characters a token; 3 over-counts, which is the safe side


class OpenAICompatEngine:
    def __init__(
        self,
        base_url: str,
        model_name: str,
        *,
        api_key: str | None = None,
        schema_mode: str = "response_format",
        timeout_s: float = 300.0,
    ) -> None:
        self.model_name = model_name
        self.base_url = base_url.rstrip("/")
        self.schema_mode = schema_mode
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._http = httpx.Client(headers=headers, timeout=timeout_s)

    def count_tokens(self, messages: list[Message]) -> int:
        root = self.base_url.removesuffix("/v1")
        try:
            response = self._http.post(f"{root}/tokenize", json={"model": self.model_name, "messages": messages})
            if response.status_code == 200:
                body = response.json()
                return int(body["count"]) if "count" in body else len(body["tokens"])
        except (httpx.HTTPError, KeyError, ValueError):
            pass
        return sum(len(m["content"]) // CHARS_PER_TOKEN_LOW + 8 for m in messages)

    def _payload(self, messages: list[Message], json_schema: dict[str, Any] | None, max_new: int) -> dict:
        payload: dict[str, Any] = {
            "model": self.model_name,
            "messages": messages,
            "max_tokens": max_new,
            "temperature": 0,
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        if json_schema is not None:
            if self.schema_mode == "guided_json":
                payload["guided_json"] = json_schema
            else:
                payload["response_format"] = {
                    "type": "json_schema",
                    "json_schema": {"name": "output", "schema": json_schema, "strict": True},
                }
        return payload

    def complete(self, messages: list[Message], json_schema: dict[str, Any] | None, max_new_tokens: int) -> Completion:
        started = time.perf_counter()
        ttft_ms: float | None = None
        parts: list[str] = []
        usage: dict[str, int] = {}
        finish = "stop"
        url = f"{self.base_url}/chat/completions"
        with self._http.stream("POST", url, json=self._payload(messages, json_schema, max_new_tokens)) as response:
            if response.status_code == 400:
                detail = orjson.loads(response.read()).get("error", {})
                if detail.get("code") == "unsupported_schema" or "schema" in str(detail.get("message", "")):
                    raise SchemaCompileError(str(detail.get("message")))
            response.raise_for_status()
            for line in response.iter_lines():
                if not line.startswith("data: ") or line == "data: [DONE]":
                    continue
                chunk = orjson.loads(line[6:])
                for choice in chunk.get("choices") or []:
                    text = (choice.get("delta") or {}).get("content")
                    if text:
                        ttft_ms = ttft_ms if ttft_ms is not None else (time.perf_counter() - started) * 1000
                        parts.append(text)
                    finish = choice.get("finish_reason") or finish
                usage = chunk.get("usage") or usage
        text = "".join(parts)
        return Completion(
            text=text,
            input_tokens=int(usage.get("prompt_tokens", self.count_tokens(messages))),
            output_tokens=int(usage.get("completion_tokens", len(text) // CHARS_PER_TOKEN_LOW + 1)),
            ttft_ms=ttft_ms,
            duration_ms=(time.perf_counter() - started) * 1000,
            finish_reason="length" if finish == "length" else "stop",
        )
