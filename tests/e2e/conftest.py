"""End-to-end fixtures: the app served for real on localhost, a real SMTP server, and chromium.

- `app_config` turns on what the browser test needs: real CSRF, real mail to a local aiosmtpd
  server, no periodic work on page loads (the test moves the clock itself).
- `live_server` serves the app with werkzeug in a background thread on a free port and points
  PUBLIC_BASE_URL (the links in emails) at it.
- `browser` is Debian's headless chromium driven by Playwright. Where chromium or Playwright is
  missing the test is skipped with the reason — except under CI, where that is a failure.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.helpers import unavailable
from tests.mail.smtp_support import SmtpServer, free_port

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    # The machine has no internet: without these chromium keeps knocking on the closed network.
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def smtp_port() -> int:
    return free_port()


@pytest.fixture
def smtp(smtp_port):
    """A running SMTP server on localhost that keeps every message it accepts."""
    server = SmtpServer(smtp_port)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def app_config(app_config, smtp_port):
    return {
        **app_config,
        "WTF_CSRF_ENABLED": True,  # the browser must carry real CSRF tokens
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": smtp_port,
        "MAIL_SUPPRESS_SEND": False,  # Flask-Mail suppresses under TESTING otherwise
        "MAIL_DEFAULT_SENDER": "Angels & Mortals <angels@angels.test>",
        "AUTO_TICK": False,
        "TESTING": True,
    }


@dataclass
class LiveServer:
    url: str
    port: int


@pytest.fixture
def live_server(app, smtp):
    """The app on http://127.0.0.1:<port>, served by werkzeug in a thread; shut down after."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    port = server.server_port
    url = f"http://127.0.0.1:{port}"
    app.config["PUBLIC_BASE_URL"] = url  # read per email, so links in mail point here
    werkzeug_log = logging.getLogger("werkzeug")
    level = werkzeug_log.level
    werkzeug_log.setLevel(logging.WARNING)  # no line per request in the captured output
    thread = threading.Thread(target=server.serve_forever, name="e2e-werkzeug", daemon=True)
    thread.start()
    yield LiveServer(url=url, port=port)
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()
    werkzeug_log.setLevel(level)


@pytest.fixture
def browser():
    """Headless Debian chromium through Playwright's sync API."""
    if not CHROMIUM.exists():
        unavailable(f"{CHROMIUM} is missing (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("the playwright package is missing (pip install -e '.[test]')")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()
