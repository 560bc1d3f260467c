"""A short soak: gunicorn with four workers, twenty players, a silent mail server and a sender
killed mid-batch; nothing may be lost or sent twice (see benchmarks/soak.py)."""

from __future__ import annotations

import os

import pytest

from benchmarks.soak import Settings, report, run


@pytest.mark.slow
def test_short_soak_loses_nothing_and_sends_nothing_twice(tmp_path):
    """Every request answered, every outbox row sent and received once, except that the one
    message the killed sender had on the wire may arrive twice under the same Message-ID."""
    result = run(
        Settings(
            workdir=tmp_path,
            participants=20,
            duration=12.0,
            silence=5.0,
            # PostgreSQL in CI's second pass (a throwaway database on that server), else SQLite.
            database_url=os.environ.get("TEST_DATABASE_URL") or None,
            baseline_seconds=0,
        )
    )
    figures = report(result)
    traffic, mail = result.traffic, result.mail
    assert result.problems() == [], figures
    assert traffic.errors == 0 and traffic.requests > 100, figures
    # The players did every kind of thing, couriers included.
    for action in ("note", "in_person", "thanks", "accept", "done"):
        assert traffic.actions[action] > 0, figures
    # The sender met the silent server, and was killed while it still held claimed rows.
    assert mail.refused_while_silent >= 1, figures
    assert mail.killed_claimed and mail.killed_after >= 3, figures
    assert mail.rows > 0 and not mail.not_sent and not mail.missing and not mail.unknown, figures
    assert set(mail.duplicates) <= mail.killed_claimed, figures
    assert all(copies == 2 for copies in mail.duplicates.values()), figures
