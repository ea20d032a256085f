"""`refinery serve-model`: a local tier over the OpenAI chat-completions protocol."""

import time
from typing import Annotated

import typer

from refinery.cli.common import cli, console
from services.settings import Settings


@cli.command("serve-model")
def serve_model(
    tier: Annotated[str, typer.Option(help="A llama_cpp tier from the tiers file.")] = "small",
    host: str = "127.0.0.1",
    port: int = 8000,
) -> None:
    """Serve a local tier over the OpenAI chat-completions protocol (JSON-schema constrained)."""
    from refinery.serve import serve
    from services.inference.engines.registry import build_engine
    from services.inference.tiers import load_tiers

    settings = Settings()
    chosen = load_tiers(settings.tiers_file)[tier]
    server = serve(build_engine(chosen, settings), host, port, chosen.max_new_tokens)
    console.print(f"serving {chosen.model_name} on http://{host}:{port}/v1 (Ctrl-C stops)")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.shutdown()
