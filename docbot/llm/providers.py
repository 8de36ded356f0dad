"""Choosing the provider a run uses (a registry: offline built in, Claude registered by its module)."""

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
