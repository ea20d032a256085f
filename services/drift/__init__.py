"""Semantic drift: rolling per-tier and per-schema statistics of finished requests against a baseline."""
