"""Where a resource's token, address and the client's tuning come from: resolved once, as
a provider is configured (`_settings.ProviderConfig`), in the order docs/reference.md
gives."""

from __future__ import annotations

import pytest

from pulumi_quickchat import QuickchatConfigError, _core
from pulumi_quickchat._declaration import Naming, python_name, schema_name
from pulumi_quickchat._settings import Found, ProviderConfig


@pytest.fixture(autouse=True)
def environment(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for suffix in ("API_TOKEN", "API_BASE_URL", "MAX_RETRIES", "READ_TIMEOUT", "RETRY_BACKOFF"):
        monkeypatch.delenv(f"QUICKCHAT_{suffix}", raising=False)
    return monkeypatch


def test_the_resources_own_value_wins_then_the_providers_then_the_environment(
    environment: pytest.MonkeyPatch,
) -> None:
    environment.setenv("QUICKCHAT_API_TOKEN", "from-env")
    config = ProviderConfig.resolve({"api_token": "from-provider", "base_url": None})
    assert config.all_tokens({"api_token": "own"}) == [
        Found("own", "the resource's api_token"),
        Found("from-provider", "stack config quickchat:apiToken"),
        Found("from-env", "environment variable QUICKCHAT_API_TOKEN"),
    ]
    assert config.find_base_url({}) == Found("https://app.quickchat.ai", "the default")
    environment.setenv("QUICKCHAT_API_BASE_URL", "http://127.0.0.1:1/")
    assert ProviderConfig.resolve({}).address({}) == "http://127.0.0.1:1"


@pytest.mark.parametrize(
    ("naming", "argument"),
    [(python_name, "the resource's `api_token`"), (schema_name, "the resource's `apiToken`")],
)
def test_a_missing_token_is_asked_for_by_the_callers_own_name(
    naming: Naming, argument: str
) -> None:
    config = ProviderConfig.resolve({}, name=naming)
    _, failures = _core.check({"conv_rating_active": True}, (), config)
    assert [f.reason for f in failures] == [
        f"no Quickchat API token found: set {argument}, the stack config `quickchat:apiToken` "
        "(`pulumi config set --secret quickchat:apiToken`, which prompts for it), or the "
        "environment variable QUICKCHAT_API_TOKEN"
    ]
    with pytest.raises(QuickchatConfigError, match=f"No Quickchat API token: set {argument},"):
        config.require_tokens({})


def test_tuning_takes_seconds_with_a_fraction_and_retries_as_a_whole_number(
    environment: pytest.MonkeyPatch,
) -> None:
    environment.setenv("QUICKCHAT_READ_TIMEOUT", "0.5")
    environment.setenv("QUICKCHAT_RETRY_BACKOFF", "0.25")
    environment.setenv("QUICKCHAT_MAX_RETRIES", "6")
    assert dict(ProviderConfig.resolve({}).tuning) == {
        "max_retries": 6,
        "read_timeout": 0.5,
        "backoff_factor": 0.25,
    }
    environment.setenv("QUICKCHAT_MAX_RETRIES", "2.5")
    with pytest.raises(QuickchatConfigError, match="QUICKCHAT_MAX_RETRIES must be a whole"):
        ProviderConfig.resolve({})
