"""`python -m refinery.cli`."""

from refinery.cli import main

main()
