"""acme_anthropic: a reference Anthropic-style SDK (messages, named stream events) on genai_base."""

from ._client import AcmeAnthropic, AsyncAcmeAnthropic
from ._errors import AcmeAnthropicError, APIStatusError
from ._messages import AsyncMessages, AsyncMessageStream, Messages, MessageStream
from .types import (
    ContentBlock,
    ContentBlockDeltaEvent,
    ContentBlockStartEvent,
    ContentBlockStopEvent,
    Message,
    MessageDeltaEvent,
    MessageStartEvent,
    MessageStopEvent,
    MessageStreamEvent,
    PingEvent,
    TextDelta,
    Usage,
)

__version__ = "0.1.0"

__all__ = [
    "AcmeAnthropic",
    "AsyncAcmeAnthropic",
    "AcmeAnthropicError",
    "APIStatusError",
    "Messages",
    "AsyncMessages",
    "MessageStream",
    "AsyncMessageStream",
    "ContentBlock",
    "ContentBlockDeltaEvent",
    "ContentBlockStartEvent",
    "ContentBlockStopEvent",
    "Message",
    "MessageDeltaEvent",
    "MessageStartEvent",
    "MessageStopEvent",
    "MessageStreamEvent",
    "PingEvent",
    "TextDelta",
    "Usage",
]
