"""``client.interactions``: create, get, cancel, delete, stream and wait for interactions."""

import time
from typing import Any, Iterable, Mapping, Optional, Union

from genai_base import (
    AsyncAPIResource,
    AsyncStream,
    Omit,
    ServerSentEvent,
    Stream,
    StreamContext,
    StreamSignal,
    SyncAPIResource,
    make_request_options,
)

from ._errors import AcmeGeminiError
from .types import Interaction, InteractionEvent

__all__ = ["Interactions", "AsyncInteractions", "InteractionStream", "AsyncInteractionStream"]

Headers = Optional[Mapping[str, Union[str, Omit]]]
Input = Union[str, Iterable[Mapping[str, object]]]


def _body(model: str, input: Input, background: bool, stream: bool) -> dict[str, Any]:
    body: dict[str, Any] = {"model": model, "input": input if isinstance(input, str) else [dict(i) for i in input]}
    if background:
        body["background"] = True
    if stream:
        body["stream"] = True
    return body


def _not_done(interaction: Interaction, timeout: float) -> AcmeGeminiError:
    return AcmeGeminiError(f"interaction {interaction.id} is still {interaction.status!r} after {timeout:g}s")


class InteractionsProtocol:
    """The Interactions framing: every event's data is an item, an ``error`` event included; ``[DONE]`` ends."""

    def handle(self, event: ServerSentEvent, context: StreamContext) -> Any:
        """The event's data as an item (nothing for an event without data)."""
        if not event.data:
            return StreamSignal.SKIP
        if event.data.startswith("[DONE]"):
            return StreamSignal.END
        return context.load(event.json())


class InteractionStream(Stream[InteractionEvent]):
    """The events of a streamed interaction; an :class:`~acme_gemini.ErrorEvent` is an item, not a raise."""

    protocol = InteractionsProtocol()


class AsyncInteractionStream(AsyncStream[InteractionEvent]):
    """The events of a streamed interaction on the async client."""

    protocol = InteractionsProtocol()


class Interactions(SyncAPIResource):
    """Interactions on the sync client."""

    def create(
        self, *, model: str, input: Input, background: bool = False, extra_headers: Headers = None
    ) -> Interaction:
        """Start an interaction; with ``background=True`` it runs on (see :meth:`wait`)."""
        return self._post(
            "/interactions", cast_to=Interaction, body=_body(model, input, background, False),
            options=make_request_options(extra_headers=extra_headers),
        )

    def stream(self, *, model: str, input: Input, extra_headers: Headers = None) -> InteractionStream:
        """Start an interaction and stream its events (:data:`~acme_gemini.InteractionEvent`)."""
        return self._post(
            "/interactions", cast_to=InteractionEvent, body=_body(model, input, False, True),
            options=make_request_options(extra_headers=extra_headers), stream=True, stream_cls=InteractionStream,
        )

    def get(self, interaction_id: str, *, extra_headers: Headers = None) -> Interaction:
        """The interaction as it is now."""
        return self._get(
            f"/interactions/{interaction_id}", cast_to=Interaction,
            options=make_request_options(extra_headers=extra_headers),
        )

    def cancel(self, interaction_id: str, *, extra_headers: Headers = None) -> Interaction:
        """Stop a background interaction."""
        return self._post(
            f"/interactions/{interaction_id}/cancel", cast_to=Interaction,
            options=make_request_options(extra_headers=extra_headers),
        )

    def delete(self, interaction_id: str, *, extra_headers: Headers = None) -> None:
        """Delete an interaction."""
        self._delete(
            f"/interactions/{interaction_id}", cast_to=object, options=make_request_options(extra_headers=extra_headers)
        )

    def wait(self, interaction_id: str, *, poll_interval: float = 1.0, timeout: float = 600.0) -> Interaction:
        """Poll a background interaction until it is done; raises when ``timeout`` seconds pass first."""
        deadline = time.monotonic() + timeout
        while True:
            interaction = self.get(interaction_id)
            if interaction.done:
                return interaction
            if time.monotonic() + poll_interval > deadline:
                raise _not_done(interaction, timeout)
            self._sleep(poll_interval)


class AsyncInteractions(AsyncAPIResource):
    """Interactions on the async client."""

    async def create(
        self, *, model: str, input: Input, background: bool = False, extra_headers: Headers = None
    ) -> Interaction:
        """Start an interaction; with ``background=True`` it runs on (see :meth:`wait`)."""
        return await self._post(
            "/interactions", cast_to=Interaction, body=_body(model, input, background, False),
            options=make_request_options(extra_headers=extra_headers),
        )

    async def stream(self, *, model: str, input: Input, extra_headers: Headers = None) -> AsyncInteractionStream:
        """Start an interaction and stream its events."""
        return await self._post(
            "/interactions", cast_to=InteractionEvent, body=_body(model, input, False, True),
            options=make_request_options(extra_headers=extra_headers), stream=True,
            stream_cls=AsyncInteractionStream,
        )

    async def get(self, interaction_id: str, *, extra_headers: Headers = None) -> Interaction:
        """The interaction as it is now."""
        return await self._get(
            f"/interactions/{interaction_id}", cast_to=Interaction,
            options=make_request_options(extra_headers=extra_headers),
        )

    async def cancel(self, interaction_id: str, *, extra_headers: Headers = None) -> Interaction:
        """Stop a background interaction."""
        return await self._post(
            f"/interactions/{interaction_id}/cancel", cast_to=Interaction,
            options=make_request_options(extra_headers=extra_headers),
        )

    async def delete(self, interaction_id: str, *, extra_headers: Headers = None) -> None:
        """Delete an interaction."""
        await self._delete(
            f"/interactions/{interaction_id}", cast_to=object, options=make_request_options(extra_headers=extra_headers)
        )

    async def wait(self, interaction_id: str, *, poll_interval: float = 1.0, timeout: float = 600.0) -> Interaction:
        """Poll a background interaction until it is done; raises when ``timeout`` seconds pass first."""
        deadline = time.monotonic() + timeout
        while True:
            interaction = await self.get(interaction_id)
            if interaction.done:
                return interaction
            if time.monotonic() + poll_interval > deadline:
                raise _not_done(interaction, timeout)
            await self._sleep(poll_interval)
