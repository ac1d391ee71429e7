"""The scale-out test's machinery: a dedicated PostgreSQL database and Redis database, app nodes served by
gunicorn as separate processes, a plain HTTP client (API tokens, or a browser's cookies and CSRF token),
`flask` commands run as subprocesses, and an SMTP server that holds the first message until two deliverers
are connected.

Nothing here imports the application: everything the test checks goes through the processes, as it
would between real machines.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from email.message import Message
from http.cookies import SimpleCookie
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url

from tests.mailbox import Mailbox

ROOT = Path(__file__).resolve().parents[2]
REDIS_URI = "redis://127.0.0.1:6379/7"  # the scale-out test's own Redis database, flushed at the start
START_TIMEOUT = 90.0
STOP_TIMEOUT = 15.0
FLASK_TIMEOUT = 300


# --- skipping -------------------------------------------------------------------------------------------


def skip_reason(test_database_url: str | None) -> str | None:
    """Why the multi-node test cannot run here, or None: it needs PostgreSQL, Redis and gunicorn."""
    if not test_database_url or not test_database_url.startswith("postgresql"):
        return ("the multi-node test needs PostgreSQL and Redis: set TEST_DATABASE_URL to a PostgreSQL database "
                "(two app processes on one SQLite file are not a scale-out) and run Redis on 127.0.0.1:6379")
    try:
        import redis
    except ImportError:
        return "the multi-node test needs the redis client library (pip install -e '.[test]')"
    try:
        connection = redis.Redis.from_url(REDIS_URI, socket_connect_timeout=1, socket_timeout=2)
        connection.ping()
        connection.close()
    except redis.RedisError as exc:
        return f"the multi-node test needs Redis at {REDIS_URI} (the shared sign-in throttle): {exc}"
    try:
        import gunicorn  # noqa: F401
    except ImportError:
        return "the multi-node test serves the app with gunicorn, which is not installed (pip install -e .)"
    return None


# --- the shared stores ----------------------------------------------------------------------------------


def nodes_database_url(test_database_url: str) -> URL:
    """TEST_DATABASE_URL's server, with a database of its own: `<name>_nodes`."""
    url = make_url(test_database_url)
    return url.set(database=f"{url.database}_nodes")


def recreate_database(url: URL) -> None:
    """Drop the nodes' database (ending any connection a previous run left) and create it empty."""
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{url.database}"'))
    finally:
        admin.dispose()


def flush_redis() -> None:
    import redis

    connection = redis.Redis.from_url(REDIS_URI, socket_connect_timeout=1, socket_timeout=5)
    connection.flushdb()
    connection.close()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- flask commands -------------------------------------------------------------------------------------


def flask_command(env: dict, *args: str, log_path: Path) -> subprocess.Popen:
    """`flask --app marketplace ARGS` in the background; stdout is kept for the caller, stderr goes to the log."""
    log = open(log_path, "ab")  # noqa: SIM115 - handed to the child, closed by `finish`
    process = subprocess.Popen([sys.executable, "-m", "flask", "--app", "marketplace", *args], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=log)
    process.log = log  # type: ignore[attr-defined]
    process.args_text = " ".join(args)  # type: ignore[attr-defined]
    return process


def finish(process: subprocess.Popen, timeout: float = FLASK_TIMEOUT) -> str:
    """Wait for a `flask_command`; its stdout, or RuntimeError with the log's tail when it failed."""
    try:
        out, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        out, _ = process.communicate()
    finally:
        process.log.close()
    if process.returncode != 0:
        raise RuntimeError(f"`flask {process.args_text}` exited with {process.returncode}:\n"
                           f"{out.decode(errors='replace')[-2000:]}\n{tail(Path(process.log.name))}")
    return out.decode()


def run_flask(env: dict, *args: str, log_path: Path) -> str:
    return finish(flask_command(env, *args, log_path=log_path))


def tail(path: Path, lines: int = 60) -> str:
    if not path.exists():
        return f"(no log at {path})"
    text_lines = path.read_text(errors="replace").splitlines()[-lines:]
    return f"--- last {len(text_lines)} lines of {path} ---\n" + "\n".join(text_lines)


# --- HTTP -----------------------------------------------------------------------------------------------


@dataclass
class Response:
    status: int
    body: bytes
    headers: Message

    @property
    def text(self) -> str:
        return self.body.decode(errors="replace")

    def json(self):
        return json.loads(self.body)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a 302 is what the test looks at, not where it leads


_OPENER = urllib.request.build_opener(_NoRedirect)


def http(method: str, url: str, *, headers: dict | None = None, body: bytes | None = None) -> Response:
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with _OPENER.open(request, timeout=60) as response:
            return Response(response.status, response.read(), response.headers)
    except urllib.error.HTTPError as error:
        with error:
            return Response(error.code, error.read(), error.headers)


@dataclass
class Node:
    """One app node: gunicorn (its own master and workers) on a loopback port."""

    name: str
    port: int
    log_path: Path
    process: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def api(self, method: str, path: str, token: str, payload: dict | None = None) -> Response:
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        body = None
        if payload is not None:
            headers["Content-Type"] = "application/json"
            body = json.dumps(payload).encode()
        return http(method, self.base_url + path, headers=headers, body=body)

    def tail(self) -> str:
        return tail(self.log_path)


def gunicorn_command(port: int, workers: int) -> list[str]:
    command = [sys.executable, "-m", "gunicorn", "-w", str(workers), "-b", f"127.0.0.1:{port}",
               "--graceful-timeout", "5"]
    from gunicorn.config import KNOWN_SETTINGS

    if any(setting.name == "control_socket_disable" for setting in KNOWN_SETTINGS):
        # gunicorn 24+ opens a control socket at one fixed path per user: two masters would fight over it.
        command.append("--no-control-socket")
    return [*command, "marketplace:create_app()"]


def start_node(node: Node, env: dict, workers: int = 2) -> None:
    log = open(node.log_path, "ab")  # noqa: SIM115 - the node writes to it until it is stopped
    # A session of its own: if the master will not stop, its whole process group (the workers) is killed.
    node.process = subprocess.Popen(gunicorn_command(node.port, workers), cwd=ROOT, env=env, stdout=log,
                                    stderr=subprocess.STDOUT, start_new_session=True)
    log.close()  # the child holds its own copy


def wait_until_up(node: Node) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if node.process.poll() is not None:
            raise RuntimeError(f"node {node.name} exited with {node.process.returncode} while starting\n{node.tail()}")
        try:
            if http("GET", node.base_url + "/login").status == 200:
                return
        except OSError:
            pass
        time.sleep(0.25)
    raise RuntimeError(f"node {node.name} did not answer {node.base_url}/login within {START_TIMEOUT:.0f}s\n"
                       f"{node.tail()}")


def stop_node(node: Node) -> None:
    """SIGTERM to the master (a graceful stop of its workers), then SIGKILL to its process group."""
    process = node.process
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=STOP_TIMEOUT)
        return
    except subprocess.TimeoutExpired:
        pass
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=STOP_TIMEOUT)


# --- a person at a browser ------------------------------------------------------------------------------

_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@dataclass
class Browser:
    """Cookies kept by hand and sent to whichever node answers, as behind a load balancer (production marks
    them Secure: the TLS proxy in front of the nodes is left out here, so a cookie jar would not send them)."""

    cookies: dict[str, str] = field(default_factory=dict)

    def request(self, node: Node, method: str, path: str, form: dict | None = None) -> Response:
        headers = {"User-Agent": "scaleout-test"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            body = urllib.parse.urlencode(form).encode()
        response = http(method, node.base_url + path, headers=headers, body=body)
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                if morsel["max-age"] == "0" or morsel["expires"].startswith("Thu, 01 Jan 1970"):
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return response

    def sign_in(self, node: Node, email: str, password: str) -> Response:
        """Fetch the sign-in page from `node` (its CSRF token and session cookie), then post the form to it."""
        page = self.request(node, "GET", "/login")
        assert page.status == 200, f"GET /login on node {node.name}: {page.status}"
        token = _CSRF.search(page.text)
        assert token, f"no CSRF token on node {node.name}'s sign-in page"
        return self.request(node, "POST", "/login", {"csrf_token": token.group(1), "email": email,
                                                     "password": password})


# --- the mail server ------------------------------------------------------------------------------------


class GatedMailbox(Mailbox):
    """Holds the first message until `connections` different SMTP connections have sent one (or `timeout`
    seconds pass): each deliverer then holds a claimed notification at the same moment, so they really
    do run together, whatever their start-up times."""

    def __init__(self, connections: int = 2, timeout: float = 20.0):
        super().__init__()
        self.connections = connections
        self.timeout = timeout
        self.peers: set = set()
        self.opened = False

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.peers.add(session.peer)
        deadline = time.monotonic() + self.timeout
        while not self.opened and len(self.peers) < self.connections and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        self.opened = True
        return await super().handle_DATA(server, session, envelope)
