"""A forgotten password, end to end: the request only queues, the periodic send delivers the
link to a real SMTP server, the link sets a new password once and logs the organiser in."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from app.extensions import db
from app.mail.outbox import send_due
from app.models import OutboxMessage
from tests.helpers import PASSWORD, login, make_facilitator
from tests.mail.smtp_support import text_and_html

RESET_LINK = re.compile(r"http://angels\.test(/login/reset/[A-Za-z0-9_.\-]+)")
NEW_PASSWORD = "a brand new password"


def _queued(app) -> int:
    with app.app_context():
        return db.session.execute(select(func.count()).select_from(OutboxMessage)).scalar_one()


def test_a_reset_link_arrives_by_the_periodic_send_and_works_once(app, client, smtp):
    with app.app_context():
        make_facilitator()
    page = client.post("/login/forgot", data={"email": "FRAN@example.org "})
    assert page.status_code == 200
    assert "If an account uses" in page.text
    # The request only queued the message: nothing reached the server yet.
    assert smtp.inbox.messages == [] and _queued(app) == 1

    with app.app_context():
        report = send_due()
    assert report.sent == 1
    (received,) = smtp.inbox.to("fran@example.org")
    assert received.rcpt_tos == ["fran@example.org"]
    text, html = text_and_html(received.message)
    (path,) = set(RESET_LINK.findall(text))
    assert path in html

    form = client.get(path)
    assert form.status_code == 200 and "Choose a new password" in form.text
    differ = client.post(path, data={"password": NEW_PASSWORD, "confirm": "something else"})
    assert "The passwords differ." in differ.text
    done = client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.status_code == 302 and done.headers["Location"].endswith("/games")
    assert client.get("/games").status_code == 200  # logged in

    # Used once, the link is dead; the new password works and the old one no longer does.
    again = client.get(path)
    assert again.status_code == 404 and "doesn't work any more" in again.text
    assert (
        client.post(
            path, data={"password": "yet another one", "confirm": "yet another one"}
        ).status_code
        == 404
    )
    other = app.test_client()
    assert login(other, password=PASSWORD).status_code == 200  # form shown again: refused
    assert login(other, password=NEW_PASSWORD).status_code == 302


def test_an_unknown_address_gets_the_same_page_and_no_mail(app, client, smtp):
    with app.app_context():
        make_facilitator()
    known = client.post("/login/forgot", data={"email": "fran@example.org"}).text
    unknown = client.post("/login/forgot", data={"email": "nobody@example.org"}).text
    assert unknown == known.replace("fran@example.org", "nobody@example.org")
    with app.app_context():
        send_due()
    assert [m.rcpt_tos for m in smtp.inbox.messages] == [["fran@example.org"]]
    assert _queued(app) == 1
