"""Pydantic v2 contracts for every message on Refinery's Kafka topics."""

from schemas.classified import Classification, ClassifiedRequest
from schemas.codec import decode, encode
from schemas.confidence import Confidence, SecondOpinion
from schemas.critique import Critique, Verdict
from schemas.draft import Draft
from schemas.error import DUPLICATE_ID, ErrorRecord
from schemas.ledger import Ledger, LedgerEntry
from schemas.request import Budget, GenerationRequest
from schemas.result import Result, ResultStatus

__all__ = [
    "DUPLICATE_ID",
    "Budget",
    "Classification",
    "ClassifiedRequest",
    "Confidence",
    "Critique",
    "Draft",
    "ErrorRecord",
    "GenerationRequest",
    "Ledger",
    "LedgerEntry",
    "Result",
    "ResultStatus",
    "SecondOpinion",
    "Verdict",
    "decode",
    "encode",
]
