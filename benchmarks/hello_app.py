"""A bare Flask "hello" app: the soak test's baseline under the same gunicorn settings."""

from __future__ import annotations

from flask import Flask


def create_app() -> Flask:
    """One route that answers a short text and touches nothing else."""
    app = Flask(__name__)

    @app.get("/")
    def hello() -> str:
        """The cheapest page a gunicorn worker can serve."""
        return "hello"

    return app
