"""`refinery serve-model`: a local tier over the OpenAI chat-completions protocol.

POST /v1/chat/completions (response_format json_schema / json_object, vLLM's guided_json, stream with
usage), GET /v1/models, POST /tokenize. Greedy decoding; one generation at a time per model."""

import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from services.common.engines.base import SchemaCompileError
from services.common.engines.llama_cpp import LlamaCppEngine


def _schema(body: dict[str, Any]) -> dict[str, Any] | None:
    if isinstance(body.get("guided_json"), dict):
        return body["guided_json"]
    response_format = body.get("response_format") or {}
    if response_format.get("type") == "json_schema":
        return (response_format.get("json_schema") or {}).get("schema") or {}
    if response_format.get("type") == "json_object":
        return {"type": "object"}
    return None


def make_handler(engine: LlamaCppEngine, max_tokens_default: int) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def _json(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            if self.path.rstrip("/") == "/v1/models":
                self._json(200, {"object": "list", "data": [{"id": engine.model_name, "object": "model"}]})
            else:
                self._json(404, {"error": {"message": "not found"}})

        def do_POST(self) -> None:
            try:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
            except json.JSONDecodeError as exc:
                self._json(400, {"error": {"message": f"malformed JSON: {exc}", "type": "invalid_request_error"}})
                return
            if self.path == "/tokenize":
                count = engine.count_tokens(
                    body.get("messages") or [{"role": "user", "content": body.get("prompt", "")}]
                )
                self._json(200, {"count": count, "max_model_len": engine.context_window})
            elif self.path == "/v1/chat/completions":
                self._chat(body)
            else:
                self._json(404, {"error": {"message": "not found"}})

        def _chat(self, body: dict[str, Any]) -> None:
            messages = body.get("messages") or []
            max_new = int(body.get("max_completion_tokens") or body.get("max_tokens") or max_tokens_default)
            schema = _schema(body)
            try:
                if schema is not None:
                    engine.grammar(schema)  # compile first: an unsupported schema is a 400, not a broken stream
            except SchemaCompileError as exc:
                self._json(
                    400,
                    {
                        "error": {
                            "message": f"schema not supported: {exc}",
                            "type": "invalid_request_error",
                            "code": "unsupported_schema",
                        }
                    },
                )
                return
            ident, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())
            if not body.get("stream"):
                done = engine.complete(messages, schema, max_new)
                self._json(
                    200,
                    {
                        "id": ident,
                        "object": "chat.completion",
                        "created": created,
                        "model": engine.model_name,
                        "choices": [
                            {
                                "index": 0,
                                "message": {"role": "assistant", "content": done.text},
                                "finish_reason": done.finish_reason,
                            }
                        ],
                        "usage": _usage(done.input_tokens, done.output_tokens),
                    },
                )
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.send_header("Cache-Control", "no-cache")
            self.send_header("Connection", "close")
            self.end_headers()

            def send(payload: dict[str, Any]) -> None:
                self.wfile.write(b"data: " + json.dumps(payload).encode() + b"\n\n")
                self.wfile.flush()

            def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
                return {
                    "id": ident,
                    "object": "chat.completion.chunk",
                    "created": created,
                    "model": engine.model_name,
                    "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
                }

            send(chunk({"role": "assistant", "content": ""}))
            done = engine.complete(messages, schema, max_new, on_text=lambda text: send(chunk({"content": text})))
            send(chunk({}, done.finish_reason))
            if (body.get("stream_options") or {}).get("include_usage"):
                send(
                    {
                        "id": ident,
                        "object": "chat.completion.chunk",
                        "created": created,
                        "model": engine.model_name,
                        "choices": [],
                        "usage": _usage(done.input_tokens, done.output_tokens),
                    }
                )
            self.wfile.write(b"data: [DONE]\n\n")
            self.wfile.flush()
            self.close_connection = True

    return Handler


def _usage(prompt: int, completion: int) -> dict[str, int]:
    # The protocol's own field names (what OpenAI-compatible clients read), not OTel attribute names.
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def serve(engine: LlamaCppEngine, host: str, port: int, max_tokens_default: int = 384) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer((host, port), make_handler(engine, max_tokens_default))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server
