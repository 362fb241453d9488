"""The payloads of ``bench_models.py`` and their models, declared once for genai_base and for the seed's pydantic.

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
from collections.abc import Callable
from datetime import datetime
from typing import Any, Literal, Optional

from genai_base import Field, Model

N_ITEMS = 1000
N_EMBEDDINGS = 100
DIMENSIONS = 1536
N_CHUNKS = 10_000


# --- the models, declared once for both libraries ---------------------------------------------


class Status(str, enum.Enum):
    ACTIVE = "active"
    ARCHIVED = "archived"
    DRAFT = "draft"


def declare(base: Any, field: Callable[..., Any]) -> dict[str, Any]:
    """The four shapes' model classes on ``base``, by shape name.

    ``base`` is genai_base's ``Model`` or the seed's pydantic ``BaseModel`` and
    ``field`` the matching ``Field``: the two libraries read the same
    declarations, so both sides of the benchmark load exactly the same types.
    """

    class FunctionCall(base):
        name: str
        arguments: str

    class ToolCall(base):
        id: str
        type: Literal["function"]
        function: FunctionCall

    class ChatMessage(base):
        role: Literal["assistant", "user", "system", "tool"]
        content: Optional[str] = None
        refusal: Optional[str] = None
        tool_calls: Optional[list[ToolCall]] = None

    class Choice(base):
        index: int
        message: ChatMessage
        finish_reason: Optional[Literal["stop", "length", "tool_calls", "content_filter"]] = None
        logprobs: Optional[dict[str, Any]] = None

    class TokenDetails(base):
        cached_tokens: int = 0
        reasoning_tokens: int = 0

    class Usage(base):
        prompt_tokens: int
        completion_tokens: int
        total_tokens: int
        prompt_tokens_details: Optional[TokenDetails] = None
        completion_tokens_details: Optional[TokenDetails] = None

    class ChatCompletion(base):
        id: str
        object: Literal["chat.completion"]
        created: int
        model: str
        choices: list[Choice]
        usage: Optional[Usage] = None
        system_fingerprint: Optional[str] = None
        service_tier: Optional[str] = None

    class Owner(base):
        id: str
        name: str
        email: Optional[str] = None
        verified: bool = False

    class Item(base):
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
        kind: str = field(default="plain", alias="type")

    class Page(base):
        data: list[Item]
        has_more: bool
        next_page_token: Optional[str] = None

    class Embedding(base):
        object: Literal["embedding"]
        index: int
        embedding: list[float]

    class EmbeddingUsage(base):
        prompt_tokens: int
        total_tokens: int

    class EmbeddingList(base):
        object: Literal["list"]
        data: list[Embedding]
        model: str
        usage: EmbeddingUsage

    class Delta(base):
        role: Optional[Literal["assistant"]] = None
        content: Optional[str] = None

    class ChunkChoice(base):
        index: int
        delta: Delta
        finish_reason: Optional[Literal["stop", "length"]] = None

    class ChatChunk(base):
        id: str
        object: Literal["chat.completion.chunk"]
        created: int
        model: str
        choices: list[ChunkChoice]

    return {"chat": ChatCompletion, "page": Page, "embeddings": EmbeddingList, "chunks": ChatChunk}


GENAI_TYPES: dict[str, Any] = declare(Model, Field)


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


# --- the seed's side -------------------------------------------------------------------------


def seed_models() -> Optional[dict[str, Any]]:
    """The seed's classes per shape name, and its ``validate_type`` / ``construct_type``; ``None`` without the seed."""
    try:
        import pydantic
        from google.genai._interactions._models import BaseModel, construct_type, validate_type
    except ImportError:
        return None

    return {
        "types": declare(BaseModel, pydantic.Field),
        "validate_type": validate_type,
        "construct_type": construct_type,
    }
