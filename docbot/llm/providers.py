"""Choosing the provider a run uses (a registry: offline built in; Claude on the direct API, Amazon
Bedrock or Google Vertex AI, each imported only when chosen)."""

from __future__ import annotations

from collections.abc import Callable

from docbot.config import LlmSettings
from docbot.errors import ConfigError
from docbot.llm.base import Provider
from docbot.llm.offline import OfflineProvider

ProviderFactory = Callable[[LlmSettings], Provider]
_PROVIDERS: dict[str, ProviderFactory] = {"offline": lambda settings: OfflineProvider()}


def _open_anthropic(settings: LlmSettings) -> Provider:
    from docbot.llm.client import AnthropicProvider  # the SDK is imported only when Claude is used

    return AnthropicProvider(settings)


def _open_bedrock(settings: LlmSettings) -> Provider:
    from docbot.llm.client import AnthropicProvider
    from docbot.llm.platforms import bedrock_client, platform_price

    price = platform_price(settings)  # an unpriced model stops the run before any client is made
    return AnthropicProvider(settings, client=bedrock_client(settings), name="bedrock", price=price)


def _open_vertex(settings: LlmSettings) -> Provider:
    from docbot.llm.client import AnthropicProvider
    from docbot.llm.platforms import platform_price, vertex_client

    price = platform_price(settings)
    return AnthropicProvider(settings, client=vertex_client(settings), name="vertex", price=price)


def register_provider(name: str, factory: ProviderFactory) -> None:
    _PROVIDERS[name] = factory


def open_provider(settings: LlmSettings) -> Provider:
    """The provider ``settings`` selects (``auto``: Claude with a key, offline without)."""
    name = settings.provider_name
    factory = _PROVIDERS.get(name)
    if factory is None:
        raise ConfigError(
            f"provider {name!r} is not available in this build; known: {', '.join(sorted(_PROVIDERS))}. "
            "Unset ANTHROPIC_API_KEY or pass --provider offline."
        )
    return factory(settings)


register_provider("anthropic", _open_anthropic)
register_provider("bedrock", _open_bedrock)
register_provider("vertex", _open_vertex)
