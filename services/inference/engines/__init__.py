"""Model engines behind one interface, built per tier."""

from services.inference.engines.base import Completion, Engine, SchemaCompileError
from services.inference.engines.registry import EnginePool

__all__ = ["Completion", "Engine", "EnginePool", "SchemaCompileError"]
