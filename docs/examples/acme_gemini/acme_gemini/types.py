"""Interactions and the events of a streamed interaction."""

from typing import Literal, Optional, Union

from genai_base import Model

__all__ = [
    "Content",
    "ContentDeltaEvent",
    "ErrorEvent",
    "ErrorInfo",
    "Interaction",
    "InteractionCompleteEvent",
    "InteractionEvent",
    "InteractionStartEvent",
    "TERMINAL_STATUSES",
]

#: The statuses after which an interaction changes no more.
TERMINAL_STATUSES = frozenset({"completed", "failed", "cancelled"})


class Content(Model):
    """One piece of output."""

    type: str
    text: str = ""


class ErrorInfo(Model):
    """What went wrong."""

    code: int = 0
    message: str = ""


class Interaction(Model):
    """An interaction: its status and, when done, its outputs."""

    id: str
    status: str
    model: str = ""
    outputs: list[Content] = []
    error: Optional[ErrorInfo] = None

    @property
    def done(self) -> bool:
        """Whether the interaction has reached a terminal status."""
        return self.status in TERMINAL_STATUSES


class InteractionStartEvent(Model):
    """The interaction was created."""

    event_type: Literal["interaction.start"]
    interaction: Interaction


class ContentDeltaEvent(Model):
    """Output added to the interaction."""

    event_type: Literal["content.delta"]
    index: int
    delta: Content


class InteractionCompleteEvent(Model):
    """The interaction finished."""

    event_type: Literal["interaction.complete"]
    interaction: Interaction


class ErrorEvent(Model):
    """An error reported in the stream, as an item (the stream may go on)."""

    event_type: Literal["error"]
    error: ErrorInfo


#: Any event of a streamed interaction, told apart by ``event_type``.
InteractionEvent = Union[InteractionStartEvent, ContentDeltaEvent, InteractionCompleteEvent, ErrorEvent]
