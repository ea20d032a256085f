"""`refinery`: run the stack, submit requests, run batches, serve a model, build the router.

One module per command group; each registers its commands on `cli`."""

from refinery.cli import compile, dead_letters, drift, requests, router, serving, stack
from refinery.cli.common import cli

__all__ = ["cli", "compile", "dead_letters", "drift", "main", "requests", "router", "serving", "stack"]


def main() -> None:
    cli()
