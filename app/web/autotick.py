"""Periodic work on page loads, so `flask run` alone delivers notes without cron.

At most once every AUTO_TICK_SECONDS per process, before a page is served, the same idempotent
work as `flask tick` runs. Production turns AUTO_TICK off and runs `flask tick` from cron.
"""

from __future__ import annotations

import threading
import time

from flask import Flask, current_app, request

_lock = threading.Lock()
_last_run = {"at": 0.0}


def init_app(app: Flask) -> None:
    """Register the hook when AUTO_TICK is on."""
    if app.config.get("AUTO_TICK"):
        app.before_request(_maybe_tick)


def _maybe_tick() -> None:
    if request.path.startswith("/static/"):
        return
    now = time.monotonic()
    if now - _last_run["at"] < current_app.config["AUTO_TICK_SECONDS"]:
        return
    if not _lock.acquire(blocking=False):
        return  # another request in this process is already doing it
    try:
        _last_run["at"] = now
        from app.services.kindness import tick

        tick()
    except Exception:  # noqa: BLE001 - a page must never fail because background work did
        from app.extensions import db

        db.session.rollback()
        current_app.logger.exception("Periodic work on page load failed; it will run again")
    finally:
        _lock.release()
