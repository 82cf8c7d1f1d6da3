"""Where a server's memory goes, step by step: ``python -m bench.memory``.

    .venv/bin/python -m bench.memory [--servers sqlite,sqlite@DIR] [--subscribers 10000]
                                     [--posts 1000] [--settle 1] [--json out.json]

For each server in turn (one at a time, so they do not share the machine's memory
pressure): start it, seed a small data set through the API (the bench's collections,
50 users signed in), then a burst of password sign-ins and one of creates, then
``--subscribers`` SSE subscribers held open while records are created, then the
subscribers gone. After every step it prints each process's RSS, USS (memory only
that process holds) and PSS, and the tree's peak RSS during the step (sampled every
0.2 s). RSS summed over the processes is what ``bench.run`` reports (pages shared
between a parent and its forked workers count once per process); USS summed is a
lower bound of what the tree really holds.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import psutil

from bench import dataset, realtime
from bench.run import raise_fd_limit
from bench.servers import RssSampler, Server

MB = 1024 * 1024


def snapshot(s: Server) -> list[dict[str, Any]]:
    out = []
    for p in s.app_processes():
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            full = p.memory_full_info()
            out.append(
                {
                    "pid": p.pid,
                    "threads": p.num_threads(),
                    "rss": full.rss,
                    "uss": full.uss,
                    "pss": full.pss,
                }
            )
    return out


def burst(base: str, n: int, threads: int, one: Any) -> int:
    """``n`` calls of ``one(client, i)`` from ``threads`` threads; how many answered 200."""
    local = threading.local()

    def call(i: int) -> bool:
        client = getattr(local, "client", None)
        if client is None:
            client = local.client = httpx.Client(base_url=base, timeout=60)
        return bool(one(client, i).status_code == 200)

    with ThreadPoolExecutor(threads) as pool:
        return sum(pool.map(call, range(n)))


def probe(s: Server, args: argparse.Namespace) -> list[dict[str, Any]]:
    sampler = RssSampler([s], interval=0.2)
    steps: list[dict[str, Any]] = []

    def step(name: str, procs: list[dict[str, Any]] | None = None) -> None:
        if procs is None:
            time.sleep(args.settle)
            procs = snapshot(s)
        steps.append(
            {
                "step": name,
                "peak": s.peaks.get(sampler.phase, 0),
                "rss": sum(p["rss"] for p in procs),
                "uss": sum(p["uss"] for p in procs),
                "pss": sum(p["pss"] for p in procs),
                "processes": procs,
            }
        )
        print(
            f"  {name:<28} RSS {steps[-1]['rss'] / MB:7.1f}  USS {steps[-1]['uss'] / MB:7.1f}"
            f"  PSS {steps[-1]['pss'] / MB:7.1f}  peak {steps[-1]['peak'] / MB:7.1f} MB  "
            + " ".join(
                f"[{p['rss'] / MB:.0f}/{p['uss'] / MB:.0f} MB {p['threads']}t]" for p in procs
            ),
            flush=True,
        )

    s.start()
    sampler.start()
    try:
        sampler.phase = "started"
        time.sleep(2.0)
        step("started")
        sampler.phase = "seeded"
        data = dataset.Seeder(s.base).run(progress=lambda _m: None)
        if data.problems:
            print(f"  seeding problems: {data.problems}")
        step("seeded")
        sampler.phase = "sign-ins"
        emails = data.user_emails or ["nobody@example.com"]
        ok = burst(
            s.base,
            args.signins,
            16,
            lambda c, i: c.post(
                "/api/collections/users/auth-with-password",
                json={"identity": emails[i % len(emails)], "password": dataset.USER_PASSWORD},
            ),
        )
        step(f"{ok} sign-ins (c=16)")
        sampler.phase = "creates"
        h = {"Authorization": data.token}
        ok = burst(
            s.base,
            args.creates,
            16,
            lambda c, i: c.post(
                "/api/collections/posts_write/records",
                json={"title": f"memory {i}", "views": i, "published": True},
                headers=h,
            ),
        )
        step(f"{ok} creates (c=16)")
        if args.subscribers:
            sampler.phase = "subscribers"
            result: dict[str, Any] = {}

            def fan() -> None:
                result.update(
                    realtime.fanout(
                        s.base,
                        args.subscribers,
                        events=10,
                        rate=1.0,
                        run_id=int(time.time()) % 100000,
                        procs=2 if args.subscribers > 2000 else 1,
                        grace=3.0,
                    )
                )

            fanning = threading.Thread(target=fan)
            fanning.start()
            # the largest snapshot while the subscribers are connected
            largest: list[dict[str, Any]] = []
            while fanning.is_alive():
                now = snapshot(s)
                if sum(p["rss"] for p in now) > sum(p["rss"] for p in largest):
                    largest = now
                time.sleep(1.0)
            fanning.join()
            print(
                f"  {result.get('subscribed')} subscribed, delivered"
                f" {result.get('delivered_pct', 0):.1f} %, p99 {result.get('p99_ms')} ms"
            )
            step(f"{args.subscribers} subscribers (largest)", largest)
            sampler.phase = "after"
            time.sleep(3.0)
            step("subscribers gone")
    finally:
        sampler.stop()
        s.stop()
    return steps


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="bench.memory", description=__doc__.split("\n")[0])
    p.add_argument("--servers", default="sqlite", help="sqlite, pg, peer, sqlite@DIR, pg@DIR")
    p.add_argument("--posts", type=int, default=1000, help="records per post collection")
    p.add_argument("--signins", type=int, default=64)
    p.add_argument("--creates", type=int, default=2000)
    p.add_argument("--subscribers", type=int, default=10_000)
    p.add_argument(
        "--settle",
        type=float,
        default=1.0,
        help="seconds to wait after a step before its snapshot (baas trims free heap memory"
        " every 10 s: 12 shows it trimmed)",
    )
    p.add_argument("--json", type=Path)
    args = p.parse_args(argv)
    dataset.N_POSTS = args.posts
    raise_fd_limit()
    results: dict[str, Any] = {}
    for spec in args.servers.split(","):
        s = Server.parse(spec)
        print(f"{s.label}", flush=True)
        results[s.key] = probe(s, args)
        print(f"  peak over the probe: {s.peak_rss / MB:.1f} MB", flush=True)
        print(f"  per step: {json.dumps({k: round(v / MB) for k, v in s.peaks.items()})}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
