"""The response types of the Acme API."""

from typing import Optional

from genai_base import Model

__all__ = [
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


class Message(Model):
    """One chat message."""

    role: str
    content: Optional[str] = None


class Choice(Model):
    """One completion choice."""

    index: int
    message: Message
    finish_reason: Optional[str] = None


class Usage(Model):
    """Tokens a call used."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0


class ChatCompletion(Model):
    """A chat completion."""

    id: str
    model: str
    choices: list[Choice] = []
    usage: Optional[Usage] = None


class Delta(Model):
    """What one chunk adds to a message."""

    role: Optional[str] = None
    content: Optional[str] = None


class ChunkChoice(Model):
    """One choice of a streamed chunk."""

    index: int
    delta: Delta
    finish_reason: Optional[str] = None


class ChatCompletionChunk(Model):
    """One event of a streamed chat completion."""

    id: str
    model: str
    choices: list[ChunkChoice] = []


class Embedding(Model):
    """One input's embedding vector."""

    index: int
    embedding: list[float]


class EmbeddingList(Model):
    """The embeddings of a call's inputs."""

    model: str
    data: list[Embedding] = []
    usage: Optional[Usage] = None


class ModelInfo(Model):
    """A model the API serves."""

    id: str
    owned_by: str = ""


class FileObject(Model):
    """An uploaded file."""

    id: str
    filename: str
    bytes: int
    purpose: str
