"""Sentences the domain hands to people, translatable without the domain knowing a language
(see `app.domain.draw.text`, where they are defined so the draw can use them too)."""

from .draw.text import N_, Message, Names, Plural, english, ngettext

__all__ = ["N_", "Message", "Names", "Plural", "english", "ngettext"]
