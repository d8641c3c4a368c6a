"""Throwaway PostgreSQL and Redis servers on loopback, for the scaled setup's tests and bench.

Debian's `postgresql` and `redis-server` packages provide the programs (`.ci/run` installs
them); each server runs in its own temporary folder on a free port, started and stopped here,
so a test may also restart one mid-run. PostgreSQL refuses to run as root: as root, it runs
as the `postgres` user the package creates.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

__all__ = ["PostgresServer", "RedisServer", "missing_programs"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _postgres_program(name: str) -> Path | None:
    """Debian keeps PostgreSQL's programs in a versioned folder, not on PATH."""
    found = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), key=lambda p: p.parts[-3])
    if found:
        return found[-1]
    on_path = shutil.which(name)
    return Path(on_path) if on_path else None


def missing_programs() -> list[str]:
    """What is missing to run the scaled setup here (the Debian packages to install)."""
    missing = []
    if _postgres_program("initdb") is None or _postgres_program("pg_ctl") is None:
        missing.append("postgresql")
    if shutil.which("redis-server") is None:
        missing.append("redis-server")
    return missing


def _as_postgres_user() -> list[str]:
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


class PostgresServer:
    """A PostgreSQL cluster in a new temporary folder (its own: the `postgres` user must reach
    it), tuned for tests (no fsync), trusting loopback."""

    user = "ridealong"

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="ridealong-postgres-"))
        self.data = self.root / "pgdata"
        self.port = free_port()

    def _run(self, program: str, *args: str) -> None:
        path = _postgres_program(program)
        assert path is not None, f"{program} not found: install Debian's postgresql"
        done = subprocess.run(
            [*_as_postgres_user(), str(path), *args], capture_output=True, text=True
        )
        if done.returncode:
            raise RuntimeError(f"{program} failed: {done.stderr or done.stdout}")

    def start(self) -> PostgresServer:
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres")
        if not self.data.exists():
            self._run("initdb", "-D", str(self.data), "-U", self.user, "--auth=trust",
                      "-E", "UTF8", "--locale=C.UTF-8", "--no-sync")  # fmt: skip
        options = (
            f"-h 127.0.0.1 -p {self.port} -k {self.root} -c max_connections=400 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.root / "log"), "-w",
                  "-o", options, "start")  # fmt: skip
        return self

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def restart(self, down_s: float = 0.0) -> None:
        """Stop (as a crash would: immediate, no checkpoint), wait, and start again."""
        self.stop()
        time.sleep(down_s)
        self.start()

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{database}"

    def execute(self, statement: str) -> None:
        """Run one statement outside a transaction (CREATE and DROP DATABASE need that)."""
        import psycopg

        with psycopg.connect(
            host="127.0.0.1", port=self.port, user=self.user, dbname="postgres", autocommit=True
        ) as connection:
            connection.execute(statement)  # type: ignore[arg-type]

    def create_database(self, name: str, template: str | None = None) -> str:
        self.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        return self.url(name)

    def drop_database(self, name: str) -> None:
        self.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class RedisServer:
    """A redis-server in `root` with persistence off, on a free loopback port."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_port()
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> RedisServer:
        self.root.mkdir(parents=True, exist_ok=True)
        self._process = subprocess.Popen(
            [
                "redis-server",
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.root),
            ],  # fmt: skip
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                if time.monotonic() > deadline or self._process.poll() is not None:
                    raise RuntimeError("redis-server did not start") from None
                time.sleep(0.05)

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def flush(self) -> None:
        import redis

        with redis.Redis(host="127.0.0.1", port=self.port) as client:
            client.flushall()
