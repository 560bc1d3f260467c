"""Periodic work for the embedded server, so `flask run` alone delivers notes without cron.

At most once every AUTO_TICK_SECONDS per process, a page load starts the same idempotent work
as `flask tick` in a background thread of its own. The request itself never waits for it, and
so never waits on the mail server: response times tell nothing about what the tick sent.
Production turns AUTO_TICK off and runs `flask tick` from cron.
"""

from __future__ import annotations

import threading
import time

from flask import Flask, current_app, request

_lock = threading.Lock()
_state: dict = {"last_run": 0.0, "running": False, "thread": None}


def init_app(app: Flask) -> None:
    """Register the hook when AUTO_TICK is on."""
    if app.config.get("AUTO_TICK"):
        app.before_request(_maybe_tick)


def _maybe_tick() -> None:
    if request.path.startswith("/static/"):
        return
    now = time.monotonic()
    with _lock:
        if _state["running"] or now - _state["last_run"] < current_app.config["AUTO_TICK_SECONDS"]:
            return
        _state["running"], _state["last_run"] = True, now
    app = current_app._get_current_object()
    thread = threading.Thread(target=_run, args=(app,), name="angels-tick", daemon=True)
    _state["thread"] = thread
    thread.start()


def settle(timeout: float = 30.0) -> bool:
    """Wait for periodic work started by a page load to finish, before its database goes away
    (an app being torn down). True when none is left running."""
    thread = _state["thread"]
    if thread is not None:
        thread.join(timeout)
    return not (thread is not None and thread.is_alive())


def forget() -> None:
    """Start afresh, as a new process would: the next page load may run the periodic work."""
    with _lock:
        _state.update(last_run=0.0, running=False, thread=None)


def _run(app: Flask) -> None:
    """Run the periodic work in its own app context (its own database session)."""
    from app.extensions import db
    from app.services.periodic import tick

    try:
        with app.app_context():
            try:
                tick()
            except Exception:  # noqa: BLE001 - background work must never kill the server
                db.session.rollback()
                app.logger.exception("Periodic work failed; it will run again")
    finally:
        with _lock:
            _state["running"] = False
