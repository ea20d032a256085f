"""`refinery`: run the stack, submit requests, run batches, serve a model, build the router.

One module per command group; each registers its commands on `cli`."""

from refinery.cli import dead_letters, requests, router, serving, stack
from refinery.cli.common import cli

__all__ = ["cli", "dead_letters", "main", "requests", "router", "serving", "stack"]


def main() -> None:
    cli()
