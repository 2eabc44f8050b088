"""A real, throwaway PostgreSQL server for tests: initdb in a temp dir, loopback + unix socket.

Used as ``with PostgresServer() as pg: pg.url`` or through the ``postgres_url`` fixture in the
test modules. PostgreSQL refuses to run as root, so when the tests run as root the server runs as
the ``postgres`` system user (created by Debian's ``postgresql`` package) via ``runuser``.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

SKIP_REASON = (
    "no PostgreSQL server binaries (initdb, pg_ctl) found under /usr/lib/postgresql/*/bin or on PATH; "
    "install them with `apt-get install -y postgresql`"
)


def find_bindir() -> Path | None:
    """The directory holding initdb and pg_ctl, newest version first; None when absent."""
    env = os.environ.get("FORENSICS_PG_BINDIR")
    candidates = [env] if env else []
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version_key, reverse=True)
    on_path = shutil.which("initdb")
    if on_path:
        candidates.append(str(Path(on_path).parent))
    for c in candidates:
        if c and (Path(c) / "initdb").exists() and (Path(c) / "pg_ctl").exists():
            return Path(c)
    return None


def _version_key(path: str) -> int:
    try:
        return int(Path(path).parent.name.split(".")[0])
    except ValueError:
        return 0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PostgresServer:
    """Start a private PostgreSQL cluster; ``url`` is a SQLAlchemy URL to its ``forensics`` db."""

    def __init__(self, bindir: Path | None = None) -> None:
        found = bindir or find_bindir()
        if found is None:
            raise RuntimeError(SKIP_REASON)
        self.bindir = found
        self.port = _free_port()
        self.tmp = Path(tempfile.mkdtemp(prefix="forensics-pg-"))
        self.data = self.tmp / "data"
        self.sock = self.tmp / "sock"
        self.sock.mkdir()
        self.log = self.tmp / "server.log"
        self.user = "forensics"
        self._as: list[str] = []
        if os.geteuid() == 0:
            # PostgreSQL will not run as root; hand the temp dir to the postgres system user.
            shutil.chown(self.tmp, "postgres", "postgres")
            shutil.chown(self.sock, "postgres", "postgres")
            self._as = ["runuser", "-u", "postgres", "--"]
            os.chmod(self.tmp, 0o755)

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/forensics"

    def _run(self, *args: str) -> None:
        proc = subprocess.run([*self._as, *args], capture_output=True, text=True, timeout=120)
        if proc.returncode != 0:
            log = self.log.read_text() if self.log.exists() else ""
            raise RuntimeError(f"{' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}\n{log}")

    def start(self) -> PostgresServer:
        self._run(
            str(self.bindir / "initdb"), "-D", str(self.data), "-U", self.user, "--auth=trust",
            "--encoding=UTF8", "--no-sync", "-N",
        )
        opts = (
            f"-p {self.port} -k {self.sock} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=50"
        )
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-o", opts, "-w",
                  "-t", "60", "start")
        self._run(str(self.bindir / "createdb"), "-h", str(self.sock), "-p", str(self.port), "-U", self.user,
                  "forensics")
        return self

    def reset(self) -> None:
        """Drop and recreate the database (a fresh store per test)."""
        for sql in ("DROP DATABASE IF EXISTS forensics WITH (FORCE)", "CREATE DATABASE forensics"):
            self._run(str(self.bindir / "psql"), "-h", str(self.sock), "-p", str(self.port), "-U", self.user,
                      "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-c", sql)

    def stop(self) -> None:
        try:
            if self.data.exists():
                subprocess.run(
                    [*self._as, str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w",
                     "stop"],
                    capture_output=True, timeout=60,
                )
        finally:
            for _ in range(5):
                shutil.rmtree(self.tmp, ignore_errors=True)
                if not self.tmp.exists():
                    break
                time.sleep(0.2)

    def __enter__(self) -> PostgresServer:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc: object) -> None:
        self.stop()


# --- fixtures (import them into a test module: ``from pg import db_url, pg_server``) -------------


@pytest.fixture(scope="module")
def pg_server():
    """One PostgreSQL server per test module; skipped with the reason when binaries are absent."""
    if find_bindir() is None:
        pytest.skip(SKIP_REASON)
    with PostgresServer() as server:
        yield server


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request, tmp_path):
    """A fresh, empty store URL: a SQLite file in tmp_path, or a reset PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    server = request.getfixturevalue("pg_server")
    server.reset()
    return server.url
