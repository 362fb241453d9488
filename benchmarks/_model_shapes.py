"""The payloads of ``bench_models.py`` and the same models declared twice: genai_base and the seed's pydantic.

Four shapes, each as decoded JSON (deterministic, built once):

* ``chat`` -- one chat completion: choices, a message with a tool call, usage with details;
* ``page`` -- a page of 1000 items, each with a nested owner, a datetime, an enum, tags, metadata;
* ``embeddings`` -- 100 embeddings of 1536 floats each;
* ``chunks`` -- 10 000 small typed streaming chunks (the ``data:`` of each SSE event, decoded).

The seed's classes derive from ``google.genai._interactions._models.BaseModel``
(pydantic v2, ``extra="allow"``); they are built only when the seed is
importable (:func:`seed_models`).
"""

from __future__ import annotations

import enum
import random
from datetime import datetime
from typing import Any, Literal, Optional

from genai_base import Field, Model

N_ITEMS = 1000
N_EMBEDDINGS = 100
DIMENSIONS = 1536
N_CHUNKS = 10_000


# --- genai_base models ------------------------------------------------------------------------


class Status(str, enum.Enum):
    ACTIVE = "active"
    ARCHIVED = "archived"
    DRAFT = "draft"


class FunctionCall(Model):
    name: str
    arguments: str


class ToolCall(Model):
    id: str
    type: Literal["function"]
    function: FunctionCall


class ChatMessage(Model):
    role: Literal["assistant", "user", "system", "tool"]
    content: Optional[str] = None
    refusal: Optional[str] = None
    tool_calls: Optional[list[ToolCall]] = None


class Choice(Model):
    index: int
    message: ChatMessage
    finish_reason: Optional[Literal["stop", "length", "tool_calls", "content_filter"]] = None
    logprobs: Optional[dict[str, Any]] = None


class TokenDetails(Model):
    cached_tokens: int = 0
    reasoning_tokens: int = 0


class Usage(Model):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    prompt_tokens_details: Optional[TokenDetails] = None
    completion_tokens_details: Optional[TokenDetails] = None


class ChatCompletion(Model):
    id: str
    object: Literal["chat.completion"]
    created: int
    model: str
    choices: list[Choice]
    usage: Optional[Usage] = None
    system_fingerprint: Optional[str] = None
    service_tier: Optional[str] = None


class Owner(Model):
    id: str
    name: str
    email: Optional[str] = None
    verified: bool = False


class Item(Model):
    id: str
    object: Literal["item"]
    name: str
    description: Optional[str] = None
    status: Status
    price: float
    quantity: int
    active: bool
    tags: list[str] = []
    created_at: datetime
    owner: Owner
    metadata: dict[str, str] = {}
    kind: str = Field(default="plain", alias="type")


class Page(Model):
    data: list[Item]
    has_more: bool
    next_page_token: Optional[str] = None


class Embedding(Model):
    object: Literal["embedding"]
    index: int
    embedding: list[float]


class EmbeddingUsage(Model):
    prompt_tokens: int
    total_tokens: int


class EmbeddingList(Model):
    object: Literal["list"]
    data: list[Embedding]
    model: str
    usage: EmbeddingUsage


class Delta(Model):
    role: Optional[Literal["assistant"]] = None
    content: Optional[str] = None


class ChunkChoice(Model):
    index: int
    delta: Delta
    finish_reason: Optional[Literal["stop", "length"]] = None


class ChatChunk(Model):
    id: str
    object: Literal["chat.completion.chunk"]
    created: int
    model: str
    choices: list[ChunkChoice]


GENAI_TYPES: dict[str, Any] = {"chat": ChatCompletion, "page": Page, "embeddings": EmbeddingList, "chunks": ChatChunk}


# --- payloads ---------------------------------------------------------------------------------


def chat_payload() -> dict[str, Any]:
    return {
        "id": "chatcmpl-9x8y7z6w5v4u3t2s1r",
        "object": "chat.completion",
        "created": 1_732_000_000,
        "model": "model-large-2025-01-01",
        "system_fingerprint": "fp_0123456789",
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": "Here is a summary of the document you sent. " * 12,
                    "refusal": None,
                    "tool_calls": [
                        {
                            "id": "call_abc123",
                            "type": "function",
                            "function": {"name": "lookup_weather", "arguments": '{"city": "Paris", "unit": "c"}'},
                        }
                    ],
                },
                "finish_reason": "tool_calls",
                "logprobs": None,
            }
        ],
        "usage": {
            "prompt_tokens": 1200,
            "completion_tokens": 310,
            "total_tokens": 1510,
            "prompt_tokens_details": {"cached_tokens": 1024},
            "completion_tokens_details": {"reasoning_tokens": 128},
        },
    }


def page_payload() -> dict[str, Any]:
    statuses = ["active", "archived", "draft"]
    items = [
        {
            "id": f"item_{n:06d}",
            "object": "item",
            "name": f"Item number {n}",
            "description": None if n % 3 == 0 else f"A description of item {n}",
            "status": statuses[n % 3],
            "price": n * 1.25,
            "quantity": n % 50,
            "active": n % 2 == 0,
            "tags": ["blue", "large", f"t{n % 7}"],
            "created_at": f"2024-{1 + n % 12:02d}-{1 + n % 28:02d}T12:{n % 60:02d}:00Z",
            "owner": {"id": f"user_{n % 97}", "name": f"Owner {n % 97}", "email": f"owner{n % 97}@example.com"},
            "metadata": {"source": "import", "batch": str(n // 100)},
            "type": "plain",
        }
        for n in range(N_ITEMS)
    ]
    return {"data": items, "has_more": True, "next_page_token": "tok_1000"}


def embeddings_payload() -> dict[str, Any]:
    rng = random.Random(1536)
    data = [
        {"object": "embedding", "index": i, "embedding": [rng.uniform(-0.1, 0.1) for _ in range(DIMENSIONS)]}
        for i in range(N_EMBEDDINGS)
    ]
    return {"object": "list", "data": data, "model": "embed-3", "usage": {"prompt_tokens": 8000, "total_tokens": 8000}}


def chunk_payloads() -> list[dict[str, Any]]:
    words = ["Hello", " there", ",", " how", " can", " I", " help", " you", " today", "?"]
    chunks = []
    for n in range(N_CHUNKS):
        delta: dict[str, Any] = {"content": words[n % len(words)]}
        if n == 0:
            delta["role"] = "assistant"
        choice = {"index": 0, "delta": delta, "finish_reason": "stop" if n == N_CHUNKS - 1 else None}
        head = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1_732_000_000, "model": "m"}
        chunks.append({**head, "choices": [choice]})
    return chunks


def payloads() -> dict[str, Any]:
    """Every shape's decoded JSON by name (``chunks`` is a list of events)."""
    return {
        "chat": chat_payload(),
        "page": page_payload(),
        "embeddings": embeddings_payload(),
        "chunks": chunk_payloads(),
    }


# --- the seed's pydantic models ---------------------------------------------------------------


def seed_models() -> Optional[dict[str, Any]]:
    """The seed's classes per shape name, and its ``validate_type`` / ``construct_type``; ``None`` without the seed."""
    try:
        import pydantic
        from google.genai._interactions._models import BaseModel, construct_type, validate_type
    except ImportError:
        return None

    class SFunctionCall(BaseModel):
        name: str
        arguments: str

    class SToolCall(BaseModel):
        id: str
        type: Literal["function"]
        function: SFunctionCall

    class SChatMessage(BaseModel):
        role: Literal["assistant", "user", "system", "tool"]
        content: Optional[str] = None
        refusal: Optional[str] = None
        tool_calls: Optional[list[SToolCall]] = None

    class SChoice(BaseModel):
        index: int
        message: SChatMessage
        finish_reason: Optional[Literal["stop", "length", "tool_calls", "content_filter"]] = None
        logprobs: Optional[dict[str, Any]] = None

    class STokenDetails(BaseModel):
        cached_tokens: int = 0
        reasoning_tokens: int = 0

    class SUsage(BaseModel):
        prompt_tokens: int
        completion_tokens: int
        total_tokens: int
        prompt_tokens_details: Optional[STokenDetails] = None
        completion_tokens_details: Optional[STokenDetails] = None

    class SChatCompletion(BaseModel):
        id: str
        object: Literal["chat.completion"]
        created: int
        model: str
        choices: list[SChoice]
        usage: Optional[SUsage] = None
        system_fingerprint: Optional[str] = None
        service_tier: Optional[str] = None

    class SOwner(BaseModel):
        id: str
        name: str
        email: Optional[str] = None
        verified: bool = False

    class SItem(BaseModel):
        id: str
        object: Literal["item"]
        name: str
        description: Optional[str] = None
        status: Status
        price: float
        quantity: int
        active: bool
        tags: list[str] = []
        created_at: datetime
        owner: SOwner
        metadata: dict[str, str] = {}
        kind: str = pydantic.Field(default="plain", alias="type")

    class SPage(BaseModel):
        data: list[SItem]
        has_more: bool
        next_page_token: Optional[str] = None

    class SEmbedding(BaseModel):
        object: Literal["embedding"]
        index: int
        embedding: list[float]

    class SEmbeddingUsage(BaseModel):
        prompt_tokens: int
        total_tokens: int

    class SEmbeddingList(BaseModel):
        object: Literal["list"]
        data: list[SEmbedding]
        model: str
        usage: SEmbeddingUsage

    class SDelta(BaseModel):
        role: Optional[Literal["assistant"]] = None
        content: Optional[str] = None

    class SChunkChoice(BaseModel):
        index: int
        delta: SDelta
        finish_reason: Optional[Literal["stop", "length"]] = None

    class SChatChunk(BaseModel):
        id: str
        object: Literal["chat.completion.chunk"]
        created: int
        model: str
        choices: list[SChunkChoice]

    return {
        "types": {"chat": SChatCompletion, "page": SPage, "embeddings": SEmbeddingList, "chunks": SChatChunk},
        "validate_type": validate_type,
        "construct_type": construct_type,
    }
