"""Model engines behind one interface, built per tier."""

from services.common.engines.base import Completion, Engine, SchemaCompileError
from services.common.engines.registry import EnginePool

__all__ = ["Completion", "Engine", "EnginePool", "SchemaCompileError"]
