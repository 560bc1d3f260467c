"""A mortal's questions to their angel, and the angel's answers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.common import new_public_id, utcnow


class Question(db.Model):
    """A question a mortal asks "my angel", and the answer.

    It names only the mortal who asked: whoever is their angel when it is read (through the
    pairing) sees it and may answer, so no row ties an angel to it, and after a roster change
    the new angel finds the open question waiting. The question reaches the angel, and the
    answer the mortal, at a random moment of a later delivery round (`released_at`,
    `answer_released_at`), so no clock points at the one who answered.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True, default=new_public_id)
    game_id: Mapped[int] = mapped_column(ForeignKey("game.id", ondelete="CASCADE"), index=True)
    mortal_id: Mapped[int] = mapped_column(
        ForeignKey("participant.id", ondelete="CASCADE"), index=True
    )
    text: Mapped[str] = mapped_column(Text)
    asked_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # The angel sees the question from this random moment of a later round.
    released_at: Mapped[datetime] = mapped_column(DateTime)
    answer: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime)
    # The mortal sees the answer from this random moment of a later round.
    answer_released_at: Mapped[datetime | None] = mapped_column(DateTime)
    # The mortal took the question back before it was answered (or before they saw the answer).
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime)
    # The mortal reported the answer as hurtful; kept for the organiser, who sees only counts.
    reported_at: Mapped[datetime | None] = mapped_column(DateTime)
    report_reason: Mapped[str] = mapped_column(Text, default="")
