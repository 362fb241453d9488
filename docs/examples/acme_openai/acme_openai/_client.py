"""The clients: :class:`AcmeOpenAI` (sync) and :class:`AsyncAcmeOpenAI`."""

import os
from typing import Any, Mapping, Optional, Union

from genai_base import NOT_GIVEN, APIStatusError, AsyncAPIClient, BearerAuth, NotGiven, SyncAPIClient, Timeout

from ._errors import AcmeOpenAIError
from ._errors import APIStatusError as AcmeStatusError
from .resources.chat import AsyncChat, Chat
from .resources.embeddings import AsyncEmbeddings, Embeddings
from .resources.files import AsyncFiles, Files
from .resources.models import AsyncModels, Models

__all__ = ["AcmeOpenAI", "AsyncAcmeOpenAI", "DEFAULT_BASE_URL"]

VERSION = "0.1.0"
DEFAULT_BASE_URL = "https://api.acme.example/v1"
API_KEY_VARIABLE = "ACME_OPENAI_API_KEY"


def _api_key(api_key: Optional[str]) -> str:
    """The key given, else the environment's; a clear error when there is neither."""
    key = api_key if api_key is not None else os.environ.get(API_KEY_VARIABLE)
    if not key:
        raise AcmeOpenAIError(f"no API key: pass api_key= or set the {API_KEY_VARIABLE} environment variable")
    return key


def _status_error(err_msg: str, body: object, response: Any) -> APIStatusError:
    return AcmeStatusError(err_msg, response=response, body=body)


class AcmeOpenAI(SyncAPIClient):
    """The sync client of the Acme API: ``client.chat.completions``, ``embeddings``, ``models``, ``files``."""

    env_prefix = "ACME_OPENAI_"
    logger_name = "acme_openai"

    #: The API key sent as a bearer token.
    api_key: str

    def __init__(
        self,
        *,
        api_key: Optional[str] = None,
        base_url: Optional[str] = None,
        max_retries: Union[int, NotGiven] = NOT_GIVEN,
        timeout: Union[float, Timeout, NotGiven, None] = NOT_GIVEN,
        custom_headers: Optional[Mapping[str, str]] = None,
    ) -> None:
        self.api_key = _api_key(api_key)
        super().__init__(
            version=VERSION,
            base_url=base_url or os.environ.get("ACME_OPENAI_BASE_URL") or DEFAULT_BASE_URL,
            max_retries=max_retries,
            timeout=timeout,
            custom_headers=custom_headers,
            auth=BearerAuth(self.api_key),
        )
        self.chat = Chat(self)
        self.embeddings = Embeddings(self)
        self.models = Models(self)
        self.files = Files(self)

    def _make_status_error(self, err_msg: str, *, body: object, response: Any) -> APIStatusError:
        return _status_error(err_msg, body, response)


class AsyncAcmeOpenAI(AsyncAPIClient):
    """The async client of the Acme API: the same resources, ``await``-ed."""

    env_prefix = "ACME_OPENAI_"
    logger_name = "acme_openai"

    #: The API key sent as a bearer token.
    api_key: str

    def __init__(
        self,
        *,
        api_key: Optional[str] = None,
        base_url: Optional[str] = None,
        max_retries: Union[int, NotGiven] = NOT_GIVEN,
        timeout: Union[float, Timeout, NotGiven, None] = NOT_GIVEN,
        custom_headers: Optional[Mapping[str, str]] = None,
    ) -> None:
        self.api_key = _api_key(api_key)
        super().__init__(
            version=VERSION,
            base_url=base_url or os.environ.get("ACME_OPENAI_BASE_URL") or DEFAULT_BASE_URL,
            max_retries=max_retries,
            timeout=timeout,
            custom_headers=custom_headers,
            auth=BearerAuth(self.api_key),
        )
        self.chat = AsyncChat(self)
        self.embeddings = AsyncEmbeddings(self)
        self.models = AsyncModels(self)
        self.files = AsyncFiles(self)

    def _make_status_error(self, err_msg: str, *, body: object, response: Any) -> APIStatusError:
        return _status_error(err_msg, body, response)
