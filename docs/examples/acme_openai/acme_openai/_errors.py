"""The SDK's own exceptions."""

import genai_base

__all__ = ["AcmeOpenAIError", "APIStatusError"]


class AcmeOpenAIError(genai_base.GenaiBaseError):
    """Every error this SDK raises (a missing API key, an error status)."""


class APIStatusError(genai_base.APIStatusError, AcmeOpenAIError):
    """A non-success status from the Acme API (``status_code``, ``body``, ``response``)."""
