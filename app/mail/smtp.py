"""SMTP connections that time out: Flask-Mail with a socket timeout on every connection."""

from __future__ import annotations

import smtplib

from flask import Flask, current_app
from flask_mail import Connection, Mail


class TimeoutConnection(Connection):
    """A Flask-Mail connection with a socket timeout.

    Flask-Mail opens smtplib connections with no timeout, so a server that accepts and never
    answers would hang the request or the worker forever.
    """

    timeout: float = 10.0

    def configure_host(self) -> smtplib.SMTP | smtplib.SMTP_SSL:
        """Open the SMTP connection like Flask-Mail does, but with a timeout."""
        state = self.mail
        if state.use_ssl:
            host = smtplib.SMTP_SSL(state.server, state.port, timeout=self.timeout)
        else:
            host = smtplib.SMTP(state.server, state.port, timeout=self.timeout)
        host.set_debuglevel(int(state.debug))
        if state.use_tls:
            host.starttls()
        if state.username and state.password:
            host.login(state.username, state.password)
        return host


class TimeoutMail(Mail):
    """Flask-Mail whose connections time out (see TimeoutConnection)."""

    def connect(self, timeout: float | None = None) -> TimeoutConnection:
        """Open a connection that gives up after `timeout` seconds (MAIL_TIMEOUT by default)."""
        connection = TimeoutConnection(current_app.extensions["mail"])
        connection.timeout = timeout or current_app.config["MAIL_TIMEOUT"]
        return connection


mail = TimeoutMail()


def init_app(app: Flask) -> None:
    """Bind the mail extension to the app."""
    mail.init_app(app)
