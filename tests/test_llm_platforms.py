"""Claude on Amazon Bedrock and Google Vertex AI: whole runs against loopback servers that speak each
platform's wire format and check its authentication (a SigV4 signature recomputed with botocore's
signer; an OAuth token minted from application default credentials), through the SDK's own platform
clients. The report has the same fields as a run on the direct API, priced the same."""

from __future__ import annotations

from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from botocore.credentials import Credentials

from docbot.cache.sqlite import SqliteCache
from docbot.config import load_settings
from docbot.errors import ConfigError
from docbot.llm.platforms import priced_model
from docbot.llm.pricing import PRICES, TokenUsage, cost_usd
from docbot.llm.providers import open_provider
from docbot.report import RunReport
from tests.conftest import GitRepo
from tests.fakes.anthropic_server import Fault, running
from tests.fakes.cloud_servers import FakeBedrock, FakeVertex, running_bedrock, running_vertex
from tests.local_run import run_local

BEDROCK_MODEL = "us.anthropic.claude-sonnet-5-5-v1:0"
VERTEX_MODEL = "claude-sonnet-5-5@20261001"
SOURCE = (
    'def area(width, height):\n    """Area."""\n    return width * height\n\n\n'
    "class Greeter:\n    def hello(self, name):\n        return name\n"
)


@pytest.fixture
def repo(git_repo: GitRepo) -> GitRepo:
    git_repo.write("src/shapes.py", SOURCE)
    git_repo.write("src/more.py", "def volume(w, h, d):\n    return w * h * d\n")
    git_repo.commit("code")
    return git_repo


@pytest.fixture
def aws_chain(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, str]:
    """AWS credentials in the environment, as aws-actions/configure-aws-credentials leaves them after
    assuming a role with OIDC; nothing else of the machine's AWS configuration is read."""
    creds = {
        "AWS_ACCESS_KEY_ID": "AKIAFAKEDOCBOT0000000",
        "AWS_SECRET_ACCESS_KEY": "fake/secret/key",
        "AWS_SESSION_TOKEN": "fake-session",
        "AWS_REGION": "us-east-1",
    }
    for name, value in creds.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.delenv("AWS_BEARER_TOKEN_BEDROCK", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    return creds


def document(repo: GitRepo, tmp_path: Path, overrides: dict[str, Any], env: dict[str, str]) -> RunReport:
    """``docbot run --all`` on ``repo`` with the provider ``overrides`` choose, cached in a fresh file."""
    settings = load_settings({"repo": repo.path, "backoff_initial_s": 0.01, **overrides}, env)
    with closing(SqliteCache(tmp_path / f"cache-{overrides['provider']}.sqlite3")) as store:
        return run_local(
            repo.path, store=store, provider=open_provider(settings.llm), settings=settings, all_files=True
        )


def bedrock(server: FakeBedrock, **extra: Any) -> tuple[dict[str, Any], dict[str, str]]:
    overrides = {"provider": "bedrock", "model": BEDROCK_MODEL, **extra}
    return overrides, {
        "ANTHROPIC_BEDROCK_BASE_URL": server.url
    }  # the region: AWS_REGION, as the SDK reads it


def vertex(server: FakeVertex) -> tuple[dict[str, Any], dict[str, str]]:
    overrides = {"provider": "vertex", "model": VERTEX_MODEL}
    env = {
        "ANTHROPIC_VERTEX_BASE_URL": f"{server.url}/v1",
        "CLOUD_ML_REGION": server.region,
        "GOOGLE_CLOUD_PROJECT": server.project,
    }
    return overrides, env


def direct_run(repo: GitRepo, tmp_path: Path) -> RunReport:
    with running() as claude:
        overrides = {
            "provider": "anthropic",
            "model": "claude-sonnet-5-5",
            "anthropic_api_key": claude.api_key,
        }
        return document(repo, tmp_path, overrides, {"ANTHROPIC_BASE_URL": claude.url})


def billed(totals: dict[str, int]) -> float:
    """What the tokens the server billed cost at Sonnet 5.5's rates (the model behind both ids)."""
    usage = TokenUsage(
        input_tokens=totals["input_tokens"],
        output_tokens=totals["output_tokens"],
        cache_write_5m_tokens=totals["cache_write_tokens"],
        cache_read_tokens=totals["cache_read_tokens"],
    )
    return cost_usd(usage, PRICES["claude-sonnet-5-5"])


def shape(value: Any) -> Any:
    """The report's keys, recursively: what a script reading it relies on."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    return type(value).__name__


def test_bedrock_run_is_signed_and_reports_like_the_direct_api(
    repo: GitRepo, tmp_path: Path, aws_chain: dict[str, str]
) -> None:
    with running_bedrock() as server:
        report = document(repo, tmp_path, *bedrock(server))
        totals = server.totals()

    assert server.refused == []  # every request carried a valid SigV4 signature
    assert server.models == [BEDROCK_MODEL] * totals["requests"]
    assert totals["requests"] == totals["ok"] == 4  # per file: a chunk request and an overview request
    assert sorted(report.documented) == ["src/more.py", "src/shapes.py"]
    assert (report.provider, report.model) == ("bedrock", BEDROCK_MODEL)
    data = report.to_json()
    assert data["api"]["requests"] == totals["requests"]
    # Priced as the model it is: Sonnet 5.5's rates on the tokens the server billed.
    assert data["cost_usd"] == pytest.approx(billed(totals), abs=1e-6)
    assert shape(data) == shape(direct_run(repo, tmp_path).to_json())


def test_bedrock_refuses_a_request_signed_with_other_credentials(
    repo: GitRepo, tmp_path: Path, aws_chain: dict[str, str]
) -> None:
    # The server knows the access key with another secret: the signature cannot match.
    other = Credentials(aws_chain["AWS_ACCESS_KEY_ID"], "not/the/secret", aws_chain["AWS_SESSION_TOKEN"])
    with running_bedrock(credentials=other) as server:
        report = document(repo, tmp_path, *bedrock(server, max_attempts=1))
        totals = server.totals()

    assert totals["requests"] == 0  # nothing reached the model
    assert server.refused and all("signature" in why for why in server.refused)
    assert report.documented == []
    assert {f.path for f in report.failed} == {"src/more.py", "src/shapes.py"}
    assert all("403" in f.reason or "signature" in f.reason.lower() for f in report.failed)


def test_bedrock_errors_are_retried_with_the_same_policy(
    repo: GitRepo, tmp_path: Path, aws_chain: dict[str, str]
) -> None:
    with running_bedrock() as server:
        server.claude.script(Fault("status", status=503), Fault("status", status=429, retry_after="0"))
        report = document(repo, tmp_path, *bedrock(server))
        totals = server.totals()

    assert server.claude.unused_script == []
    assert sorted(report.documented) == ["src/more.py", "src/shapes.py"]
    assert report.to_json()["api"]["retries"] == 2
    assert totals["ok"] == 4  # per file: a chunk and an overview


def test_a_429_without_rate_limit_headers_is_a_limit_on_bedrock_and_not_on_the_direct_api(
    repo: GitRepo, aws_chain: dict[str, str]
) -> None:
    # Bedrock never sends anthropic-ratelimit-* headers, so its 429 is the only sign of a limit; the
    # direct API always does, so a 429 without them says nothing about pace.
    with running_bedrock() as server:
        overrides, env = bedrock(server)
        on_bedrock = open_provider(load_settings({"repo": repo.path, **overrides}, env).llm)
        assert on_bedrock.limiter.refused(0.0, {"retry-after": "0"}) is True
    direct = open_provider(load_settings({"provider": "anthropic", "anthropic_api_key": "k"}, {}).llm)
    assert direct.limiter.refused(0.0, {"retry-after": "0"}) is False


def test_vertex_run_uses_application_default_credentials(
    repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with running_vertex() as server:
        # What google-github-actions/auth leaves for later steps: a credentials file in the environment.
        monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(server.credentials_file(tmp_path)))
        report = document(repo, tmp_path, *vertex(server))
        totals = server.totals()

    assert server.refused == []
    assert server.tokens_issued >= 1  # the token came from the credentials' own token endpoint
    assert server.models == [VERTEX_MODEL] * totals["requests"]
    assert totals["requests"] == totals["ok"] == 4  # per file: a chunk request and an overview request
    assert sorted(report.documented) == ["src/more.py", "src/shapes.py"]
    assert (report.provider, report.model) == ("vertex", VERTEX_MODEL)
    assert report.to_json()["cost_usd"] == pytest.approx(billed(totals), abs=1e-6)
    assert shape(report.to_json()) == shape(direct_run(repo, tmp_path).to_json())


def test_vertex_with_a_refused_identity_is_one_clear_error_before_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with running_vertex() as server:
        monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(server.credentials_file(tmp_path)))
        server.subject_token = "a-token-of-another-repository"  # the exchange now refuses the job's token
        overrides, env = vertex(server)
        settings = load_settings(overrides, env)
        with pytest.raises(ConfigError, match=r"Google refused the credentials .*invalid_grant"):
            open_provider(settings.llm)
        assert server.totals()["requests"] == 0
        assert server.tokens_issued == 0


@pytest.mark.parametrize(
    ("model", "priced"),
    [
        ("us.anthropic.claude-sonnet-5-5-v1:0", "claude-sonnet-5-5"),
        ("anthropic.claude-haiku-4-5-20251001-v1:0", "claude-haiku-4-5-20251001"),
        ("global.anthropic.claude-opus-5-5-v1", "claude-opus-5-5"),
        ("claude-sonnet-5-5@20261001", "claude-sonnet-5-5"),
        ("claude-haiku-4-5@20251001", "claude-haiku-4-5-20251001"),
        ("meta.llama3-70b-instruct-v1:0", None),
        ("claude-unknown-9", None),
    ],
)
def test_platform_model_ids_are_priced_as_their_model(model: str, priced: str | None) -> None:
    assert priced_model(model) == priced


def test_bedrock_needs_a_bedrock_model_id_and_vertex_a_region(aws_chain: dict[str, str]) -> None:
    settings = load_settings({"provider": "bedrock", "bedrock_region": "us-east-1"})  # default model
    with pytest.raises(ConfigError, match="not an Amazon Bedrock model id"):
        open_provider(settings.llm)
    settings = load_settings({"provider": "vertex", "model": VERTEX_MODEL})
    with pytest.raises(ConfigError, match="vertex_region"):
        open_provider(settings.llm)
    settings = load_settings({"provider": "bedrock", "model": "us.anthropic.claude-new-9-v1:0"})
    with pytest.raises(ConfigError, match="no known price"):
        open_provider(settings.llm)


def test_bedrock_without_aws_credentials_is_one_clear_error(
    aws_chain: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name)  # a job that skipped configure-aws-credentials
    settings = load_settings({"provider": "bedrock", "model": BEDROCK_MODEL})
    with pytest.raises(ConfigError, match=r"found no AWS credentials.*configure-aws-credentials"):
        open_provider(settings.llm)
