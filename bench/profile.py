"""Profile one scenario on our server with py-spy while wrk drives it.

    .venv/bin/python -m bench.profile view [list_sorted ...] [--server sqlite|pg] [--posts N]
                                           [--seconds 10] [--c 16] [--top 40]

Starts ``baas serve`` (as ``make bench`` does), seeds the data set through the API,
then for each scenario records every worker process with ``py-spy record --format raw``
(collapsed stacks; ``--subprocesses`` on the server's main process) while wrk runs,
and prints the functions with the most samples, inclusive and self. The raw stacks
are kept in bench/results/logs/profile-<scenario>.txt (feed them to
``flamegraph.pl`` or speedscope for a picture).
"""

from __future__ import annotations

import argparse
import collections
import re
import subprocess
import sys
import time
from pathlib import Path

from bench import dataset, scenarios, wrk
from bench.servers import BIN, Server

LOGS = Path(__file__).resolve().parent / "results" / "logs"


def ensure_py_spy() -> str:
    path = BIN / "py-spy"
    if not path.exists():
        subprocess.run(
            [str(BIN / "python"), "-m", "pip", "install", "--quiet", "py-spy"], check=True
        )
    return str(path)


IDLE_LEAVES = (
    "_worker (concurrent/futures/thread.py:81)",  # a pool thread waiting for work
    "Condition.wait (",
    "Event.wait (",
    "select (",
    # A granian worker's main thread inside Rust: the event loop waiting, or granian's
    # own HTTP work; py-spy can't tell which, so it is left out.
    "_spawn_asgi_lifespan_worker (",
)
LINE = re.compile(r":\d+\)$")


def busy_stacks(raw: str) -> tuple[list[tuple[list[str], int]], int]:
    """(frames without "process …" prefixes and line numbers, samples) of busy stacks; idle count."""
    stacks, idle = [], 0
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = [f for f in stack.split(";") if f and not f.startswith("process ")]
        if not frames or any(mark in frames[-1] for mark in IDLE_LEAVES):
            idle += int(count)
            continue
        stacks.append(([LINE.sub(")", f) for f in frames], int(count)))
    return stacks, idle


def summarize(raw: str, top: int) -> str:
    """Inclusive and self sample shares per function (busy samples only)."""
    stacks, idle = busy_stacks(raw)
    inclusive: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    total = 0
    for frames, n in stacks:
        total += n
        for frame in set(frames):
            inclusive[frame] += n
        own[frames[-1]] += n
    if not total:
        return "no busy samples"
    out = [f"{total} busy samples ({idle} idle left out)", "", "inclusive:"]
    for frame, n in inclusive.most_common(top):
        out.append(f"  {100 * n / total:5.1f}%  {frame}")
    out += ["", "self:"]
    for frame, n in own.most_common(top):
        out.append(f"  {100 * n / total:5.1f}%  {frame}")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="bench.profile")
    p.add_argument("--summarize", metavar="RAW", help="only summarise a kept profile file")
    p.add_argument("scenarios", nargs="*", help=", ".join(scenarios.BY_KEY))
    p.add_argument("--server", default="sqlite", help="sqlite, pg, or sqlite@DIR / pg@DIR")
    p.add_argument("--posts", type=int, default=dataset.N_POSTS)
    p.add_argument("--seconds", type=int, default=10)
    p.add_argument("--c", type=int, default=16)
    p.add_argument("--top", type=int, default=40)
    p.add_argument("--rate", type=int, default=250, help="py-spy samples per second")
    args = p.parse_args(argv)
    if args.summarize:
        print(summarize(Path(args.summarize).read_text(), args.top))
        return 0
    unknown = [k for k in args.scenarios if k not in scenarios.BY_KEY]
    if unknown or not args.scenarios:
        p.error(f"name scenarios from: {', '.join(scenarios.BY_KEY)}")
    dataset.N_POSTS = args.posts
    py_spy = ensure_py_spy()
    wrk_bin = wrk.ensure_wrk()
    LOGS.mkdir(parents=True, exist_ok=True)
    server = Server.parse(args.server)
    server.keep_log = LOGS / f"profile-{args.server}.log"
    try:
        server.start()
        data = dataset.Seeder(server.base).run()
        print(f"seeded: {len(data.post_ids)} posts; problems: {data.problems or 'none'}")
        work = Path(server.workdir) / "req"
        work.mkdir()
        for key in args.scenarios:
            built = scenarios.BY_KEY[key].build(data, work)
            if isinstance(built, str):
                print(f"{key}: n/a ({built})")
                continue
            why, _ = scenarios.probe(server.base, built)
            if why:
                print(f"{key}: n/a ({why})")
                continue
            wrk.run(wrk_bin, server.base, built, connections=args.c, seconds=2)  # warm-up
            out = LOGS / f"profile-{key}.txt"
            assert server.proc is not None
            spy = subprocess.Popen(
                [
                    py_spy,
                    "record",
                    "--pid",
                    str(server.proc.pid),
                    "--subprocesses",
                    "--format",
                    "raw",
                    "--rate",
                    str(args.rate),
                    "--duration",
                    str(args.seconds + 1),
                    "--output",
                    str(out),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            time.sleep(1.0)
            result = wrk.run(wrk_bin, server.base, built, connections=args.c, seconds=args.seconds)
            _, err = spy.communicate(timeout=60)
            print(
                f"\n== {key}: {result['rps']:.0f} req/s, p50 {result['p50_ms']:.1f} ms,"
                f" p99 {result['p99_ms']:.1f} ms, {result['errors']} errors (under py-spy)"
            )
            if not out.exists():
                print(f"py-spy wrote nothing: {err.decode()[-500:]}")
                continue
            print(summarize(out.read_text(), args.top))
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
