"""Messages and the named events of a streamed message."""

from typing import Literal, Optional, Union

from genai_base import Model

__all__ = [
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


class ContentBlock(Model):
    """One block of a message's content."""

    type: str
    text: str = ""


class Usage(Model):
    """Tokens a message used."""

    input_tokens: int = 0
    output_tokens: int = 0


class Message(Model):
    """A message from the model."""

    id: str
    role: str
    model: str
    content: list[ContentBlock] = []
    stop_reason: Optional[str] = None
    usage: Optional[Usage] = None


class TextDelta(Model):
    """Text added to a content block."""

    type: str
    text: str = ""


class MessageStartEvent(Model):
    """``event: message_start``: the message, empty so far."""

    type: Literal["message_start"]
    message: Message


class ContentBlockStartEvent(Model):
    """``event: content_block_start``."""

    type: Literal["content_block_start"]
    index: int
    content_block: ContentBlock


class ContentBlockDeltaEvent(Model):
    """``event: content_block_delta``: text for the block at ``index``."""

    type: Literal["content_block_delta"]
    index: int
    delta: TextDelta


class ContentBlockStopEvent(Model):
    """``event: content_block_stop``."""

    type: Literal["content_block_stop"]
    index: int


class MessageDelta(Model):
    """What changes on the message at its end."""

    stop_reason: Optional[str] = None


class MessageDeltaEvent(Model):
    """``event: message_delta``: the stop reason and usage."""

    type: Literal["message_delta"]
    delta: MessageDelta
    usage: Optional[Usage] = None


class MessageStopEvent(Model):
    """``event: message_stop``: the last event."""

    type: Literal["message_stop"]


class PingEvent(Model):
    """``event: ping``: a keep-alive (the stream protocol drops it)."""

    type: Literal["ping"]


#: Any event of a streamed message, told apart by its ``type``.
MessageStreamEvent = Union[
    MessageStartEvent,
    ContentBlockStartEvent,
    ContentBlockDeltaEvent,
    ContentBlockStopEvent,
    MessageDeltaEvent,
    MessageStopEvent,
    PingEvent,
]
