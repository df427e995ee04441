"""`haven worker` fails closed: outside dev mode it will not start without a message channel."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from haven import migrate
from haven.cli.main import app as cli
from haven.config import Settings


def test_worker_refuses_to_start_without_a_message_channel(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    migrate.upgrade(settings.resolved_database_url())
    monkeypatch.setenv("HAVEN_HOME", str(settings.home))
    monkeypatch.setenv("HAVEN_DATABASE_URL", settings.resolved_database_url())
    monkeypatch.setenv("HAVEN_DEV_MODE", "false")
    for name in ("HAVEN_SMTP_HOST", "HAVEN_SMS_WEBHOOK_URL"):
        monkeypatch.delenv(name, raising=False)
    result = CliRunner().invoke(cli, ["worker", "--once"])
    assert result.exit_code == 2
    assert "messages cannot be sent" in result.output
    assert "HAVEN_SMTP_HOST" in result.output
