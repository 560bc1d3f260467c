"""Rate limits are one count across every worker when they share a Redis store.

Each "worker" here is a real server process of its own with its own app instance, as gunicorn
runs them, and the requests alternate between the two. On `memory://` each process counts on
its own (the fault this guards against); on Redis the limit is reached after N requests in
total, not N per worker. Each test starts its own `redis-server` on a free loopback port.
"""

from __future__ import annotations

import json
import logging
import os
import selectors
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from app import create_app
from tests.helpers import unavailable

ROOT = Path(__file__).resolve().parents[2]

# One worker: the app built from a JSON config, served by Werkzeug on a port of its choosing.
WORKER = """
import json, sys
from werkzeug.serving import make_server
from app import create_app
server = make_server("127.0.0.1", 0, create_app(json.loads(sys.argv[1])), threaded=False)
print(server.server_port, flush=True)
server.serve_forever()
"""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


@pytest.fixture
def redis_url() -> Iterator[str]:
    """A redis-server of this test's own on a free loopback port, keeping nothing on disk."""
    binary = shutil.which("redis-server")
    if binary is None:
        unavailable(
            "redis-server is missing (apt-get install redis-server)", "the shared-limits test"
        )
    import redis

    port = _free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        client = redis.Redis.from_url(url)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"redis-server did not start on port {port}")
                time.sleep(0.05)
        client.close()
        yield url
    finally:
        _stop(process)


class Worker:
    """One server process of the app, as a gunicorn worker is."""

    def __init__(self, config: dict) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", WORKER, json.dumps(config)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        with selectors.DefaultSelector() as selector:
            selector.register(self.process.stdout, selectors.EVENT_READ)
            ready = selector.select(timeout=60)
        line = self.process.stdout.readline().strip() if ready else ""
        if not line.isdigit():
            _stop(self.process)
            pytest.fail(f"a worker did not start: {self.process.stderr.read()[-2000:]}")
        self.base = f"http://127.0.0.1:{line}"

    def post(self, path: str, data: dict) -> int:
        """POST a form and return the status code (redirects are not followed)."""
        request = urllib.request.Request(
            self.base + path, data=urllib.parse.urlencode(data).encode(), method="POST"
        )
        opener = urllib.request.build_opener(_NoRedirect)
        try:
            with opener.open(request, timeout=30) as response:
                return response.status
        except urllib.error.HTTPError as error:
            error.close()
            return error.code

    def stop(self) -> None:
        """End the process."""
        _stop(self.process)
        self.process.stdout.close()
        self.process.stderr.close()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # noqa: ARG002
        """Hand a redirect back as the answer, so its status can be read."""
        return None


@pytest.fixture
def workers(app, app_config):
    """Start two workers on the test's database with a given rate-limit store."""
    started: list[Worker] = []

    def start(storage_uri: str) -> tuple[Worker, Worker]:
        config = {
            **app_config,
            "RATELIMIT_STORAGE_URI": storage_uri,
            # The `app` fixture made the tables; engine options may hold classes (not JSON).
            "CREATE_TABLES": False,
            "SQLALCHEMY_ENGINE_OPTIONS": {},
        }
        pair = (Worker(config), Worker(config))
        started.extend(pair)
        return pair

    yield start
    for worker in started:
        worker.stop()


def _lost_link_answers(first: Worker, second: Worker, times: int) -> list[int]:
    """Ask for a lost link for one address `times` times, alternating between the workers."""
    address = "someone@example.org"
    return [(first, second)[i % 2].post("/lost-link", {"email": address}) for i in range(times)]


def test_two_workers_on_redis_share_one_count(workers, redis_url):
    """The lost-link form's 3 an hour per address, and the login's 10 a minute per client,
    are reached after 3 and 10 requests in all, spread over both workers."""
    first, second = workers(redis_url)

    assert _lost_link_answers(first, second, 5) == [302, 302, 302, 429, 429]

    logins = [
        (first, second)[i % 2].post(
            "/login", {"email": f"guess{i}@example.org", "password": "not the password"}
        )
        for i in range(12)
    ]
    assert logins == [200] * 10 + [429, 429]

    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        assert client.dbsize() > 0, "the counts should live in Redis"
    finally:
        client.close()


def test_two_workers_on_memory_each_count_alone(workers):
    """What the operator saw: on memory:// each worker counts for itself, so two workers let
    twice the lost-link limit through (this is why production wants Redis)."""
    first, second = workers("memory://")
    assert _lost_link_answers(first, second, 7) == [302] * 6 + [429]


@pytest.mark.parametrize(
    ("storage", "warned"), [("memory://", True), ("redis://localhost:6379/0", False)]
)
def test_production_on_memory_storage_warns_that_limits_are_per_process(
    tmp_path, monkeypatch, caplog, storage, warned
):
    """ANGELS_ENV=production on memory:// logs a WARNING naming the per-process counts."""
    monkeypatch.setenv("ANGELS_ENV", "production")
    caplog.set_level(logging.WARNING)
    create_app(
        {
            "TESTING": True,
            "SECRET_KEY": os.urandom(32).hex(),
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'warn.sqlite3'}",
            "CREATE_TABLES": False,
            "MAIL_SERVER": "127.0.0.1",
            "AUTO_TICK": False,
            "RATELIMIT_STORAGE_URI": storage,
        }
    )
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    per_process = [r for r in warnings if "counted per process" in r.getMessage()]
    if warned:
        assert len(per_process) == 1
        assert "redis://localhost:6379/0" in per_process[0].getMessage()
    else:
        assert per_process == []
