"""`refinery serve-model`: a local tier over the OpenAI chat-completions protocol.

POST /v1/chat/completions (response_format json_schema / json_object, vLLM's guided_json, stream with
usage), GET /v1/models, POST /tokenize. Greedy decoding; one generation at a time per model."""

import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

from services.inference.engines.base import Completion, SchemaCompileError
from services.inference.engines.llama_cpp.engine import LlamaCppEngine


def requested_schema(body: dict[str, Any]) -> dict[str, Any] | None:
    if isinstance(body.get("guided_json"), dict):
        return body["guided_json"]
    response_format = body.get("response_format") or {}
    if response_format.get("type") == "json_schema":
        return (response_format.get("json_schema") or {}).get("schema") or {}
    if response_format.get("type") == "json_object":
        return {"type": "object"}
    return None


def usage(prompt: int, completion: int) -> dict[str, int]:
    # The protocol's own field names (what OpenAI-compatible clients read), not OTel attribute names.
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


class ChatReply:
    """The protocol's envelopes for one completion: whole, or as stream chunks."""

    def __init__(self, model: str) -> None:
        self.model, self.id, self.created = model, f"chatcmpl-{uuid.uuid4().hex}", int(time.time())

    def _base(self, kind: str) -> dict[str, Any]:
        return {"id": self.id, "object": kind, "created": self.created, "model": self.model}

    def whole(self, done: Completion) -> dict[str, Any]:
        choice = {
            "index": 0,
            "message": {"role": "assistant", "content": done.text},
            "finish_reason": done.finish_reason,
        }
        return {
            **self._base("chat.completion"),
            "choices": [choice],
            "usage": usage(done.input_tokens, done.output_tokens),
        }

    def chunk(self, delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {
            **self._base("chat.completion.chunk"),
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }

    def usage_chunk(self, done: Completion) -> dict[str, Any]:
        return {
            **self._base("chat.completion.chunk"),
            "choices": [],
            "usage": usage(done.input_tokens, done.output_tokens),
        }


class ModelHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    engine: ClassVar[LlamaCppEngine]
    max_tokens_default: ClassVar[int]

    def log_message(self, *args: Any) -> None:
        pass

    def _json(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _error(self, status: int, message: str, **extra: str) -> None:
        self._json(status, {"error": {"message": message, **extra}})

    def do_GET(self) -> None:
        if self.path.rstrip("/") == "/v1/models":
            self._json(200, {"object": "list", "data": [{"id": self.engine.model_name, "object": "model"}]})
        else:
            self._error(404, "not found")

    def do_POST(self) -> None:
        try:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        except json.JSONDecodeError as exc:
            self._error(400, f"malformed JSON: {exc}", type="invalid_request_error")
            return
        if self.path == "/tokenize":
            messages = body.get("messages") or [{"role": "user", "content": body.get("prompt", "")}]
            self._json(200, {"count": self.engine.count_tokens(messages), "max_model_len": self.engine.context_window})
        elif self.path == "/v1/chat/completions":
            self._chat(body)
        else:
            self._error(404, "not found")

    def _chat(self, body: dict[str, Any]) -> None:
        messages = body.get("messages") or []
        max_new = int(body.get("max_completion_tokens") or body.get("max_tokens") or self.max_tokens_default)
        schema = requested_schema(body)
        try:
            if schema is not None:
                self.engine.grammar(schema)  # compile first: an unsupported schema is a 400, not a broken stream
        except SchemaCompileError as exc:
            self._error(400, f"schema not supported: {exc}", type="invalid_request_error", code="unsupported_schema")
            return
        reply = ChatReply(self.engine.model_name)
        if body.get("stream"):
            self._stream(reply, messages, schema, max_new, (body.get("stream_options") or {}).get("include_usage"))
        else:
            self._json(200, reply.whole(self.engine.complete(messages, schema, max_new)))

    def _stream(self, reply: ChatReply, messages: list, schema: dict | None, max_new: int, with_usage: bool) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")
        self.end_headers()

        def send(payload: dict[str, Any]) -> None:
            self.wfile.write(b"data: " + json.dumps(payload).encode() + b"\n\n")
            self.wfile.flush()

        send(reply.chunk({"role": "assistant", "content": ""}))
        done = self.engine.complete(
            messages, schema, max_new, on_text=lambda text: send(reply.chunk({"content": text}))
        )
        send(reply.chunk({}, done.finish_reason))
        if with_usage:
            send(reply.usage_chunk(done))
        self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()
        self.close_connection = True


def serve(engine: LlamaCppEngine, host: str, port: int, max_tokens_default: int = 384) -> ThreadingHTTPServer:
    handler = type("BoundModelHandler", (ModelHandler,), {"engine": engine, "max_tokens_default": max_tokens_default})
    server = ThreadingHTTPServer((host, port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
