"""The SDK's own exceptions."""

import genai_base

__all__ = ["AcmeAnthropicError", "APIStatusError"]


class AcmeAnthropicError(genai_base.GenaiBaseError):
    """Every error this SDK raises."""


class APIStatusError(genai_base.APIStatusError, AcmeAnthropicError):
    """An error status, or an ``event: error`` in the middle of a stream (``body`` holds the error)."""
