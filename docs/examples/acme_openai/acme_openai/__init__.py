"""acme_openai: a reference OpenAI-style SDK built on genai_base's public API only."""

from ._client import AcmeOpenAI, AsyncAcmeOpenAI
from ._errors import AcmeOpenAIError, APIStatusError
from .types import (
    ChatCompletion,
    ChatCompletionChunk,
    Choice,
    ChunkChoice,
    Delta,
    Embedding,
    EmbeddingList,
    FileObject,
    Message,
    ModelInfo,
    Usage,
)

__version__ = "0.1.0"

__all__ = [
    "AcmeOpenAI",
    "AsyncAcmeOpenAI",
    "AcmeOpenAIError",
    "APIStatusError",
    "ChatCompletion",
    "ChatCompletionChunk",
    "Choice",
    "ChunkChoice",
    "Delta",
    "Embedding",
    "EmbeddingList",
    "FileObject",
    "Message",
    "ModelInfo",
    "Usage",
]
