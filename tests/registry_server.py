"""Start the real registry server (``python -m turboavro registry serve``) for tests.

The server runs in its own process group on a free 127.0.0.1 port; :meth:`Server.kill`
sends SIGKILL to the whole group (the uvicorn supervisor and every worker) as a crash would.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import turboavro

# the server imports turboavro from where this process did (the source tree with its built
# kernels in a development checkout, site-packages when installed)
SRC = str(Path(turboavro.__file__).resolve().parents[1])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(self, db: str | os.PathLike[str], *args: str, port: int | None = None) -> None:
        self.db = os.fspath(db)
        self.args = list(args)
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = Path(self.db).with_suffix(f".{self.port}.log")

    def start(self, timeout: float = 30.0) -> Server:
        env = dict(os.environ)
        env["PYTHONPATH"] = SRC + os.pathsep + env.get("PYTHONPATH", "")
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "turboavro", "registry", "serve", "--db", self.db,
                 "--port", str(self.port), *self.args],
                stdout=log, stderr=log, env=env, start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"registry server exited with {self.proc.returncode}: {self.log.read_text()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    pass
                status, _ = self.get("/v1/metadata/version", auth_ok=True)
                if status in (200, 401):
                    return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"registry server did not start: {self.log.read_text()}")

    def get(self, path: str, auth_ok: bool = False) -> tuple[int, Any]:
        return http(self.url, "GET", path)

    def kill(self) -> None:
        if self.proc is not None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(10)
            self.proc = None

    def stop(self) -> None:
        if self.proc is not None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(10)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                self.kill()
            self.proc = None

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def http(
    base: str, method: str, path: str, body: Any = None, *, raw: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, Any]:
    """(status, decoded JSON body) of one request; the body stays bytes when not JSON."""
    data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
    request = urllib.request.Request(base + path, data=data, method=method, headers={
        "Content-Type": "application/json", **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status, payload, ctype = response.status, response.read(), response.headers.get("content-type")
    except urllib.error.HTTPError as err:
        status, payload, ctype = err.code, err.read(), err.headers.get("content-type")
        err.close()
    try:
        value = json.loads(payload) if payload else None
    except ValueError:
        value = payload
    if status >= 400:
        assert ctype == "application/vnd.schemaregistry.v1+json", (status, ctype, payload)
        assert isinstance(value, dict) and set(value) == {"error_code", "message"}, (status, payload)
    return status, value
