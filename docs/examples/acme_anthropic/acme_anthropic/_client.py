"""The clients: :class:`AcmeAnthropic` (sync) and :class:`AsyncAcmeAnthropic`."""

import os
from typing import Any, Mapping, Optional, Union

from genai_base import NOT_GIVEN, APIKeyAuth, APIStatusError, AsyncAPIClient, NotGiven, SyncAPIClient, Timeout

from ._errors import AcmeAnthropicError
from ._errors import APIStatusError as AcmeStatusError
from ._messages import AsyncMessages, Messages

__all__ = ["AcmeAnthropic", "AsyncAcmeAnthropic"]

VERSION = "0.1.0"
API_VERSION = "2023-06-01"
DEFAULT_BASE_URL = "https://api.acme-anthropic.example/v1"


def _api_key(api_key: Optional[str]) -> str:
    key = api_key if api_key is not None else os.environ.get("ACME_ANTHROPIC_API_KEY")
    if not key:
        raise AcmeAnthropicError("no API key: pass api_key= or set ACME_ANTHROPIC_API_KEY")
    return key


def _headers(custom: Optional[Mapping[str, str]]) -> dict[str, str]:
    return {"anthropic-version": API_VERSION, **(custom or {})}


class AcmeAnthropic(SyncAPIClient):
    """The sync client: ``client.messages.create(...)`` and ``client.messages.stream(...)``."""

    env_prefix = "ACME_ANTHROPIC_"
    logger_name = "acme_anthropic"

    def __init__(
        self,
        *,
        api_key: Optional[str] = None,
        base_url: str = DEFAULT_BASE_URL,
        max_retries: Union[int, NotGiven] = NOT_GIVEN,
        timeout: Union[float, Timeout, NotGiven, None] = NOT_GIVEN,
        custom_headers: Optional[Mapping[str, str]] = None,
    ) -> None:
        super().__init__(
            version=VERSION, base_url=base_url, max_retries=max_retries, timeout=timeout,
            custom_headers=_headers(custom_headers), auth=APIKeyAuth(_api_key(api_key), header="x-api-key"),
        )
        self.messages = Messages(self)

    def _make_status_error(self, err_msg: str, *, body: object, response: Any) -> APIStatusError:
        return AcmeStatusError(err_msg, response=response, body=body)


class AsyncAcmeAnthropic(AsyncAPIClient):
    """The async client: the same resources, ``await``-ed."""

    env_prefix = "ACME_ANTHROPIC_"
    logger_name = "acme_anthropic"

    def __init__(
        self,
        *,
        api_key: Optional[str] = None,
        base_url: str = DEFAULT_BASE_URL,
        max_retries: Union[int, NotGiven] = NOT_GIVEN,
        timeout: Union[float, Timeout, NotGiven, None] = NOT_GIVEN,
        custom_headers: Optional[Mapping[str, str]] = None,
    ) -> None:
        super().__init__(
            version=VERSION, base_url=base_url, max_retries=max_retries, timeout=timeout,
            custom_headers=_headers(custom_headers), auth=APIKeyAuth(_api_key(api_key), header="x-api-key"),
        )
        self.messages = AsyncMessages(self)

    def _make_status_error(self, err_msg: str, *, body: object, response: Any) -> APIStatusError:
        return AcmeStatusError(err_msg, response=response, body=body)
