"""`handoff ingress` takes its webhook settings from HANDOFF_*."""

from __future__ import annotations

from pathlib import Path

from handoff.adapters.store import make_sqlite_store
from handoff.ops.ingress import config_from_settings
from handoff.settings import load_settings


def test_without_webhook_credentials_the_ingress_refuses_webhooks(
    tmp_path: Path,
) -> None:
    config = config_from_settings(load_settings(), make_sqlite_store(tmp_path))

    assert not config.accepts_webhooks


def test_the_settings_configure_auth_echoes_and_deduplication(tmp_path: Path) -> None:
    store = make_sqlite_store(tmp_path)
    store.ensure_mapping("HO-00000000000000000001")
    store.set_rocketlane_project("HO-00000000000000000001", 42)
    settings = load_settings(
        webhook_username="rocketlane",
        webhook_password="s3cret",
        webhook_secret="path-secret",
        rocketlane_api_user_email="integration@handoff.example",
        ingress_token="producer-token",
    )

    config = config_from_settings(settings, store)

    assert config.accepts_webhooks
    assert (config.webhook_username, config.webhook_password) == (
        "rocketlane",
        "s3cret",
    )
    assert config.webhook_secret == "path-secret"
    assert config.token == "producer-token"
    assert config.rocketlane_api_user == "integration@handoff.example"
    assert config.first_delivery("evt-1") is True
    assert config.first_delivery("evt-1") is False
    assert config.correlation_of(42) == "HO-00000000000000000001"
    assert config.correlation_of(7) is None
