"""Settings: embedded defaults, and errors that name the variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from handoff.settings import SettingsError, load_settings


def test_nothing_set_means_embedded() -> None:
    settings = load_settings()

    assert settings.embedded
    assert settings.database_url.startswith("sqlite")
    assert settings.lock_redis_url is None


def test_a_redis_broker_also_holds_the_locks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HANDOFF_BROKER_URL", "redis://127.0.0.1:6379/3")

    settings = load_settings()

    assert not settings.embedded
    assert settings.lock_redis_url == "redis://127.0.0.1:6379/3"


@pytest.mark.parametrize(
    ("variable", "value", "complaint"),
    [
        pytest.param(
            "HANDOFF_BROKER_URL", "http://x", "HANDOFF_BROKER_URL", id="broker-scheme"
        ),
        pytest.param(
            "HANDOFF_DATABASE_URL",
            "mysql://x",
            "HANDOFF_DATABASE_URL",
            id="database-scheme",
        ),
        pytest.param(
            "HANDOFF_WORKER_THREADS",
            "many",
            "HANDOFF_WORKER_THREADS",
            id="not-a-number",
        ),
        pytest.param(
            "HANDOFF_SALESFORCE_URL",
            "not a url",
            "HANDOFF_SALESFORCE_URL",
            id="bad-url",
        ),
        pytest.param(
            "HANDOFF_SALESFORCE_URL",
            "https://x.my.salesforce.com",
            "HANDOFF_SALESFORCE_CLIENT_ID",
            id="url-without-client",
        ),
    ],
)
def test_a_wrong_setting_is_named(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, complaint: str
) -> None:
    monkeypatch.setenv(variable, value)

    with pytest.raises(SettingsError, match=complaint):
        load_settings()


def test_client_credentials_need_a_secret_or_a_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HANDOFF_SALESFORCE_URL", "https://x.my.salesforce.com")
    monkeypatch.setenv("HANDOFF_SALESFORCE_CLIENT_ID", "abc")

    with pytest.raises(SettingsError, match="HANDOFF_SALESFORCE_CLIENT_SECRET"):
        load_settings()


def test_a_missing_private_key_file_is_named(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("HANDOFF_SALESFORCE_URL", "https://x.my.salesforce.com")
    monkeypatch.setenv("HANDOFF_SALESFORCE_CLIENT_ID", "abc")
    monkeypatch.setenv("HANDOFF_SALESFORCE_USERNAME", "integration@example.com")
    monkeypatch.setenv(
        "HANDOFF_SALESFORCE_PRIVATE_KEY_FILE", str(tmp_path / "missing.pem")
    )

    with pytest.raises(SettingsError, match="no file at"):
        load_settings()


def test_remote_systems_are_required_where_they_are_used() -> None:
    with pytest.raises(
        SettingsError, match="HANDOFF_SALESFORCE_URL, HANDOFF_ROCKETLANE_API_KEY"
    ):
        load_settings().require_remote_systems()
