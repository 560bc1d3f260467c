"""URL converters."""

from __future__ import annotations

from werkzeug.routing import IntegerConverter

from app.models import MAX_ID


class IdConverter(IntegerConverter):
    """`<int:…>` limited to the ids a row can have, so a larger number is a 404 like any
    unknown id, not a database error."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)
