"""The clients: :class:`AcmeGemini` (sync) and :class:`AsyncAcmeGemini`.

The key goes in ``x-goog-api-key`` through ``auth_headers``, which the base
client reads for every request: without an explicit ``api_key`` the
``GEMINI_API_KEY`` variable is read each time, so a rotated key is sent from
the next call on.
"""

import os
from typing import Any, Optional, Union

from genai_base import NOT_GIVEN, APIStatusError, AsyncAPIClient, NotGiven, SyncAPIClient, Timeout

from ._errors import AcmeGeminiError
from ._errors import APIStatusError as AcmeStatusError
from ._interactions import AsyncInteractions, Interactions

__all__ = ["AcmeGemini", "AsyncAcmeGemini"]

VERSION = "0.1.0"
DEFAULT_BASE_URL = "https://generativelanguage.acme.example/v1beta"
API_KEY_VARIABLE = "GEMINI_API_KEY"


def _check_key(api_key: Optional[str]) -> Optional[str]:
    if api_key is None and not os.environ.get(API_KEY_VARIABLE):
        raise AcmeGeminiError(f"no API key: pass api_key= or set the {API_KEY_VARIABLE} environment variable")
    return api_key


def _key_headers(api_key: Optional[str]) -> dict[str, str]:
    key = api_key if api_key is not None else os.environ.get(API_KEY_VARIABLE)
    if not key:
        raise AcmeGeminiError(f"no API key: {API_KEY_VARIABLE} is no longer set")
    return {"x-goog-api-key": key}


class AcmeGemini(SyncAPIClient):
    """The sync client: ``client.interactions``."""

    env_prefix = "ACME_GEMINI_"
    logger_name = "acme_gemini"

    def __init__(
        self,
        *,
        api_key: Optional[str] = None,
        base_url: str = DEFAULT_BASE_URL,
        max_retries: Union[int, NotGiven] = NOT_GIVEN,
        timeout: Union[float, Timeout, NotGiven, None] = NOT_GIVEN,
    ) -> None:
        self._api_key = _check_key(api_key)
        super().__init__(version=VERSION, base_url=base_url, max_retries=max_retries, timeout=timeout)
        self.interactions = Interactions(self)

    @property
    def auth_headers(self) -> dict[str, str]:
        """``x-goog-api-key``: the key given, else ``GEMINI_API_KEY`` as it is now."""
        return _key_headers(self._api_key)

    def _make_status_error(self, err_msg: str, *, body: object, response: Any) -> APIStatusError:
        return AcmeStatusError(err_msg, response=response, body=body)


class AsyncAcmeGemini(AsyncAPIClient):
    """The async client: ``client.interactions``, ``await``-ed."""

    env_prefix = "ACME_GEMINI_"
    logger_name = "acme_gemini"

    def __init__(
        self,
        *,
        api_key: Optional[str] = None,
        base_url: str = DEFAULT_BASE_URL,
        max_retries: Union[int, NotGiven] = NOT_GIVEN,
        timeout: Union[float, Timeout, NotGiven, None] = NOT_GIVEN,
    ) -> None:
        self._api_key = _check_key(api_key)
        super().__init__(version=VERSION, base_url=base_url, max_retries=max_retries, timeout=timeout)
        self.interactions = AsyncInteractions(self)

    @property
    def auth_headers(self) -> dict[str, str]:
        """``x-goog-api-key``: the key given, else ``GEMINI_API_KEY`` as it is now."""
        return _key_headers(self._api_key)

    def _make_status_error(self, err_msg: str, *, body: object, response: Any) -> APIStatusError:
        return AcmeStatusError(err_msg, response=response, body=body)
