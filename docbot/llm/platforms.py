"""Claude on Amazon Bedrock and Google Vertex AI: the SDK's platform clients, and model ids priced.

Each platform client speaks its own wire format (Bedrock ``POST /model/{id}/invoke`` signed with SigV4,
Vertex ``POST .../models/{id}:rawPredict`` with a Bearer token) but exposes the same ``messages``
resource, so ``AnthropicProvider`` sends, retries, paces, breaks and prices requests exactly as it does
for the direct API. Credentials come from each platform's standard chain: AWS environment variables,
web identity (what ``aws-actions/configure-aws-credentials`` with OIDC sets), profiles or instance
roles; Google application default credentials (what ``google-github-actions/auth`` with workload
identity federation writes). docbot never holds a platform key.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from docbot.config import LlmSettings
from docbot.errors import ConfigError
from docbot.llm.pricing import PRICES, ModelPrice, price_for

if TYPE_CHECKING:
    import anthropic

# us.anthropic.claude-sonnet-4-5-20250929-v1:0 (a cross-region inference profile) or
# anthropic.claude-sonnet-4-5-20250929-v1:0 (a model in one region).
_BEDROCK_ID = re.compile(r"(?:[a-z-]+\.)?anthropic\.(claude-[a-z0-9-]+?)(?:-v\d+(?::\d+)?)?")
# claude-sonnet-4-5@20250929, or the plain name.
_VERTEX_ID = re.compile(r"(claude-[a-z0-9-]+?)(?:@(\d{8}))?")


def priced_model(model: str) -> str | None:
    """The direct-API model whose price a Bedrock or Vertex model id has, or ``None`` if unknown."""
    bedrock = _BEDROCK_ID.fullmatch(model)
    vertex = _VERTEX_ID.fullmatch(model)
    if bedrock:
        candidates = [bedrock.group(1)]
    elif vertex:
        candidates = [f"{vertex.group(1)}-{vertex.group(2)}"] if vertex.group(2) else []
        candidates.append(vertex.group(1))
    else:
        return None
    # A dated id without its own row is priced as its family (dates only pin a snapshot).
    candidates += [re.sub(r"-\d{8}$", "", c) for c in candidates]
    return next((c for c in candidates if c in PRICES), None)


def platform_price(settings: LlmSettings) -> ModelPrice:
    """The price of a platform model id: explicit prices first, else its direct-API twin's row.

    Raises:
        ConfigError: neither explicit prices nor a known twin (the message says how to fix it).
    """
    if settings.price_input_per_mtok is not None or settings.price_output_per_mtok is not None:
        return price_for(settings)
    twin = priced_model(settings.model)
    if twin is None:
        return price_for(settings)  # raises with the list of known models and the price settings
    return price_for(replace(settings, model=twin))


def bedrock_client(settings: LlmSettings) -> anthropic.AnthropicBedrock:
    """The SDK's Bedrock client, signing with the standard AWS credential chain.

    Raises:
        ConfigError: the model is not a Bedrock model id (the direct API's ids are refused there), or
            the chain has no credentials.
    """
    if not (_BEDROCK_ID.fullmatch(settings.model) or settings.model.startswith("arn:")):
        raise ConfigError(
            f"model {settings.model!r} is not an Amazon Bedrock model id; set model to a Bedrock id "
            "such as us.anthropic.claude-sonnet-4-5-20250929-v1:0 (the Bedrock console lists them)"
        )
    import anthropic
    import boto3

    options: dict[str, Any] = {"max_retries": 0, "timeout": settings.request_timeout_s}
    if settings.bedrock_base_url:
        options["base_url"] = settings.bedrock_base_url
    try:
        client = anthropic.AnthropicBedrock(aws_region=settings.bedrock_region, **options)
    except (ValueError, anthropic.AnthropicError) as exc:
        raise ConfigError(f"provider 'bedrock': {exc}; set bedrock_region (AWS_REGION)") from exc
    # The SDK resolves credentials per request and would fail every request the same way: say it once.
    # (A Bedrock API key, which the SDK reads from AWS_BEARER_TOKEN_BEDROCK, needs no AWS credentials.)
    if client.api_key is None and boto3.Session().get_credentials() is None:
        raise ConfigError(
            "provider 'bedrock' found no AWS credentials; in GitHub Actions run "
            "aws-actions/configure-aws-credentials first (docs/deployment.md), locally set a profile"
        )
    return client


CLOUD_PLATFORM_SCOPE = "https://www.googleapis.com/auth/cloud-platform"


def google_credentials() -> Any:
    """Google application default credentials (``GOOGLE_APPLICATION_CREDENTIALS``, gcloud, metadata).

    Loaded without scopes, then scoped: with scopes, loading workload identity federation credentials
    also asks Cloud Resource Manager for the project, a request (and a permission) a run that names its
    project does not need.

    Raises:
        ConfigError: no credentials were found, the file is unreadable, or Google refused them.
    """
    import google.auth
    import google.auth.credentials
    import google.auth.exceptions

    try:
        credentials, _ = google.auth.default()
    except google.auth.exceptions.GoogleAuthError as exc:
        raise ConfigError(
            f"provider 'vertex' found no Google credentials ({exc}); in GitHub Actions run "
            "google-github-actions/auth first (docs/deployment.md)"
        ) from exc
    scoped = google.auth.credentials.with_scopes_if_required(  # type: ignore[no-untyped-call]
        credentials, [CLOUD_PLATFORM_SCOPE]
    )
    # The first token now: a refused identity is one clear error before the run, not a failure
    # inside every request.
    import google.auth.transport.requests

    try:
        scoped.refresh(google.auth.transport.requests.Request())
    except google.auth.exceptions.GoogleAuthError as exc:
        raise ConfigError(
            f"provider 'vertex': Google refused the credentials ({exc}); check the workload identity "
            "provider and the service account's roles/aiplatform.user (docs/deployment.md)"
        ) from exc
    return scoped


def vertex_client(settings: LlmSettings) -> anthropic.AnthropicVertex:
    """The SDK's Vertex client. With ``vertex_project`` set docbot loads the application default
    credentials itself; without it the SDK loads them and takes their project.

    Raises:
        ConfigError: no region was set, or no credentials were found.
    """
    if not settings.vertex_region:
        raise ConfigError("provider 'vertex' needs vertex_region (CLOUD_ML_REGION), e.g. global or us-east5")
    import anthropic

    options: dict[str, Any] = {"max_retries": 0, "timeout": settings.request_timeout_s}
    if settings.vertex_base_url:
        options["base_url"] = settings.vertex_base_url
    if settings.vertex_project:
        options["project_id"] = settings.vertex_project
        options["credentials"] = google_credentials()
    return anthropic.AnthropicVertex(region=settings.vertex_region, **options)
