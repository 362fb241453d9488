"""acme_gemini: a reference Gemini-Interactions-style SDK on genai_base."""

from ._client import AcmeGemini, AsyncAcmeGemini
from ._errors import AcmeGeminiError, APIStatusError
from ._interactions import AsyncInteractions, AsyncInteractionStream, Interactions, InteractionStream
from .types import (
    Content,
    ContentDeltaEvent,
    ErrorEvent,
    ErrorInfo,
    Interaction,
    InteractionCompleteEvent,
    InteractionEvent,
    InteractionStartEvent,
)

__version__ = "0.1.0"

__all__ = [
    "AcmeGemini",
    "AsyncAcmeGemini",
    "AcmeGeminiError",
    "APIStatusError",
    "Interactions",
    "AsyncInteractions",
    "InteractionStream",
    "AsyncInteractionStream",
    "Content",
    "ContentDeltaEvent",
    "ErrorEvent",
    "ErrorInfo",
    "Interaction",
    "InteractionCompleteEvent",
    "InteractionEvent",
    "InteractionStartEvent",
]
