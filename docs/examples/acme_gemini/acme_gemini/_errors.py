"""The SDK's own exceptions."""

import genai_base

__all__ = ["AcmeGeminiError", "APIStatusError"]


class AcmeGeminiError(genai_base.GenaiBaseError):
    """Every error this SDK raises (no API key, an error status, an interaction that never finished)."""


class APIStatusError(genai_base.APIStatusError, AcmeGeminiError):
    """A non-success status from the API."""
