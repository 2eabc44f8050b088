"""URLs are shown without their passwords wherever they are shown (forensics.urls.display_url)."""

from __future__ import annotations

import pytest

from forensics.urls import display_url


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql+psycopg://ana:s3cret@db:5432/forensics", "postgresql+psycopg://ana:***@db:5432/forensics"),
        ("sqlite:///out/forensics.db", "sqlite:///out/forensics.db"),  # nothing to hide
        ("mlflow://ana:s3cret@tracking:5000/agents", "mlflow://ana:***@tracking:5000/agents"),
        # SQLAlchemy cannot parse it: the password is still masked, not shown as given
        ("postgresql://ana:s3cret@db:notaport/x", "postgresql://ana:***@db:notaport/x"),
        ("/var/log/agents/night.jsonl", "/var/log/agents/night.jsonl"),  # a path is not a URL
    ],
)
def test_display_url_never_shows_the_password(url: str, shown: str) -> None:
    assert display_url(url) == shown
    assert "s3cret" not in display_url(url)
