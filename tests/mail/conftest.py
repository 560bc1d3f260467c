"""SMTP fixtures: a real aiosmtpd server on localhost, and a server that accepts and never answers.

The app is configured to send to 127.0.0.1:<smtp_port>. The `smtp` fixture starts a real
server there; `smtp_server` gives the same server unstarted (mail "down") so a test can start,
stop and restart it on the same port; `hanging_server` listens on the port and never speaks.
"""

from __future__ import annotations

import pytest

from tests.mail.smtp_support import HangingServer, SmtpServer, free_port


@pytest.fixture
def smtp_port() -> int:
    """A free localhost port for this test's SMTP server."""
    return free_port()


@pytest.fixture
def app_config(app_config, smtp_port):
    """Send mail for real (Flask-Mail suppresses under TESTING) to 127.0.0.1:<smtp_port>."""
    return {
        **app_config,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": smtp_port,
        "MAIL_SUPPRESS_SEND": False,
    }


@pytest.fixture
def smtp_server(smtp_port):
    """The SMTP server, not yet started (mail is "down"); stopped at teardown."""
    server = SmtpServer(smtp_port)
    yield server
    server.stop()


@pytest.fixture
def smtp(smtp_server):
    """A running SMTP server that accepts everything."""
    smtp_server.start()
    return smtp_server


@pytest.fixture(params=["silent", "greets-then-silent"])
def hanging_server(request, smtp_port):
    """A listener on the mail port that accepts connections and never answers.

    "silent" never sends its greeting; "greets-then-silent" says 220 and then nothing more.
    """
    greeting = b"220 hang.test ESMTP\r\n" if request.param == "greets-then-silent" else b""
    server = HangingServer(smtp_port, greeting)
    yield server
    server.close()
