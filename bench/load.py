"""`python -m bench.load`: 200 concurrent uploads against `ridealong serve` on loopback (#6).

Cuts `--uploads` (200) different 3-second clips from the shared Dutch recordings (read in
place; each clip differs, so none is a duplicate), starts `ridealong serve` in its own data
dir with the embedded worker, sends every upload at once over HTTP, then waits until the
worker has transcribed them all. Reports: accepted / refused / lost, upload latency, the
server's peak RSS (sampled from /proc while it runs), and how long until all were done.

`--scaled`: the same against the scaled setup: PostgreSQL and Redis on loopback (started
as the tests start them, tests/services.py), `serve --no-worker`, and `--workers` (2)
`ridealong worker` processes; the peak RSS is then the sum of the server and the workers.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import date
from pathlib import Path

from bench.run import AUDIO, REPO, cpu_name

SOURCES = [
    AUDIO / "nl_constructed/nl_dialogue_sales_constructed_16k.wav",
    AUDIO / "nl_constructed/nl_monologue_female_16k.wav",
    AUDIO / "nl_constructed/nl_monologue_male_flemish_16k.wav",
]
CLIP_S = 3.0


def clips(count: int) -> list[bytes]:
    """`count` distinct WAV clips of CLIP_S seconds of real Dutch speech."""
    import numpy as np
    import soundfile as sf

    from transcribe import SAMPLE_RATE, decode_audio

    audio = [decode_audio(path) for path in SOURCES]
    out = []
    for n in range(count):
        source = audio[n % len(audio)]
        step = max(1, (len(source) - int(CLIP_S * SAMPLE_RATE)) // (count // len(audio) + 1))
        start = (n // len(audio)) * step + n  # a different offset (and bytes) for each clip
        clip = source[start : start + int(CLIP_S * SAMPLE_RATE)].astype(np.float32)
        buffer = io.BytesIO()
        sf.write(buffer, clip, SAMPLE_RATE, format="WAV", subtype="PCM_16")
        out.append(buffer.getvalue())
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_mib(pid: int) -> float:
    """Resident memory of a process and its children, MiB."""
    total = 0
    for p in [pid, *_children(pid)]:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def _children(pid: int) -> list[int]:
    try:
        found = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []
    return [int(c) for c in found] + [g for c in found for g in _children(int(c))]


async def send_all(base: str, key: str, payloads: list[bytes]) -> list[tuple[int, float]]:
    import httpx

    limits = httpx.Limits(max_connections=len(payloads), max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=base, timeout=600, limits=limits) as client:

        async def one(n: int, payload: bytes) -> tuple[int, float]:
            start = time.perf_counter()
            response = await client.post(
                "/api/v1/recordings",
                headers={"Authorization": f"Bearer {key}"},
                files={"file": (f"clip{n}.wav", payload, "audio/wav")},
                data={"consent": "true", "title": f"clip {n}"},
            )
            return response.status_code, time.perf_counter() - start

        return await asyncio.gather(*(one(n, p) for n, p in enumerate(payloads)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--uploads", type=int, default=200)
    parser.add_argument("--timeout-min", type=float, default=30)
    parser.add_argument("--scaled", action="store_true", help="PostgreSQL, Redis, workers")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (--scaled)")
    args = parser.parse_args()

    payloads = clips(args.uploads)
    with ExitStack() as stack:
        tmp = stack.enter_context(tempfile.TemporaryDirectory())
        env = {
            **os.environ,
            "RIDEALONG_DATA_DIR": tmp,
            "RIDEALONG_UPLOAD_RATE": "0",  # one client sends everything
            "RIDEALONG_SYNONYMS": "0",
        }
        if args.scaled:
            from tests.services import PostgresServer, RedisServer

            postgres = PostgresServer().start()
            stack.callback(postgres.remove)
            redis = RedisServer(Path(tmp) / "redis").start()
            stack.callback(redis.stop)
            env["RIDEALONG_DATABASE_URL"] = postgres.create_database("load")
            env["RIDEALONG_QUEUE_URL"] = redis.url()
        run(args, env, payloads)


def run(args: argparse.Namespace, env: dict[str, str], payloads: list[bytes]) -> None:
    import httpx

    cli = [sys.executable, "-m", "api"]
    key = subprocess.run(
        [*cli, "apikey", "create", "load", "--scope", "write"],
        env=env, cwd=REPO, capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    port = free_port()
    serve = [*cli, "serve", "--no-login", "--port", str(port)]
    server = subprocess.Popen(
        serve + (["--no-worker"] if args.scaled else []),
        env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    workers = [
        subprocess.Popen(
            [*cli, "worker"],
            env={**env, "RIDEALONG_CPU_THREADS": "1"},
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(args.workers if args.scaled else 0)
    ]

    def rss() -> float:
        return rss_mib(server.pid) + sum(rss_mib(w.pid) for w in workers)

    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.5)
        idle_mib = rss()
        peak = [idle_mib]
        started = time.perf_counter()

        async def watched() -> list[tuple[int, float]]:
            async def sample() -> None:
                while True:
                    peak.append(rss())
                    await asyncio.sleep(0.5)

            sampler = asyncio.create_task(sample())
            try:
                return await send_all(base, key, payloads)
            finally:
                sampler.cancel()

        answers = asyncio.run(watched())
        sent_s = time.perf_counter() - started
        headers = {"Authorization": f"Bearer {key}"}
        deadline = time.monotonic() + args.timeout_min * 60
        while True:
            peak.append(rss())
            rows = httpx.get(
                base + "/api/v1/recordings", params={"limit": 1000}, headers=headers
            ).json()["recordings"]
            pending = [r for r in rows if r["status"] in ("queued", "processing")]
            if not pending or time.monotonic() > deadline:
                break
            time.sleep(2)
        done_s = time.perf_counter() - started
    finally:
        for process in [server, *workers]:
            process.terminate()
            process.wait(30)
    codes = [code for code, _ in answers]
    latency = sorted(s for _, s in answers)
    statuses = {s: sum(1 for r in rows if r["status"] == s) for s in {r["status"] for r in rows}}
    setup = (
        f"PostgreSQL + Redis, serve --no-worker + {args.workers} workers (1 thread each)"
        if args.scaled
        else "embedded (SQLite, in-process worker)"
    )
    print(f"# {date.today()} · {cpu_name()} · {os.cpu_count()} cores · {setup}\n")
    print(f"- uploads sent at once: {len(payloads)} ({CLIP_S:g}-s WAV clips, 96 KB each)")
    answered = {c: codes.count(c) for c in sorted(set(codes))}
    print(f"- answers: {answered}")
    median, p95 = statistics.median(latency), latency[int(0.95 * (len(latency) - 1))]
    print(f"- all answered after {sent_s:.1f} s; latency median {median:.2f} s, p95 {p95:.2f} s")
    print(f"- recordings stored: {len(rows)}; by status: {statuses}")
    print(f"- lost (accepted but not stored): {codes.count(202) - len(rows)}")
    print(f"- all transcribed after {done_s:.0f} s ({len(rows) * CLIP_S / done_s:.1f}x real time)")
    who = "server + workers" if args.scaled else "server"
    print(f"- {who} RSS: {idle_mib:.0f} MiB idle, peak {max(peak):.0f} MiB")


if __name__ == "__main__":
    main()
