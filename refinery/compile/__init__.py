"""`refinery compile`: each tier's generation prompt, optimised on dev tasks (see search.py)."""
