"""``make bench``: pocketbase against baas (SQLite, and PostgreSQL+Redis), side by side.

    .venv/bin/python -m bench.run [--quick] [--servers peer,sqlite,pg] [--scenarios view,create]
                                  [--duration 3] [--reps 3] [--no-realtime] [--no-readme]

Starts every server on loopback with a throwaway data directory, builds the same data
set on each through the HTTP API (bench/dataset.py), then measures each scenario with
wrk: per scenario, a warm-up per server, then ``reps`` rounds of (c=16, c=64) with the
servers taken one at a time in a rotating order. Then the list scenarios again with
explicit indexes, then realtime fan-out. Prints the table, writes
bench/results/<date>.json and the README's Performance section.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import dataset, realtime, report, scenarios, wrk
from bench.servers import ROOT, RssSampler, Server, cpu_delta, rss_bytes

RESULTS = Path(__file__).resolve().parent / "results"
LOGS = RESULTS / "logs"  # server logs of the last run (not committed)
CONCURRENCY = (16, 64)
REALTIME_SIZES = (
    # subscribers, creates, creates per second, client processes
    (100, 100, 10.0, 1),
    (1_000, 100, 10.0, 1),
    (10_000, 10, 1.0, 2),
)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="bench.run", description=__doc__.split("\n")[0])
    p.add_argument(
        "--servers",
        default="peer,sqlite,pg",
        help="peer, sqlite, pg; sqlite@DIR or pg@DIR runs baas from the source tree DIR "
        "(A/B a change: --servers sqlite,sqlite@/tmp/scratch)",
    )
    p.add_argument("--scenarios", default=",".join(s.key for s in scenarios.SCENARIOS))
    p.add_argument("--duration", type=float, default=2.0, help="seconds per measured run")
    p.add_argument(
        "--slow-duration", type=float, default=3.0, help="seconds per run of the slow scenarios"
    )
    p.add_argument("--warmup", type=float, default=1.0)
    p.add_argument("--reps", type=int, default=3)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--realtime", default="100,1000,10000", help="subscriber counts ('' for none)")
    p.add_argument("--no-realtime", action="store_true")
    p.add_argument("--no-indexed", action="store_true", help="skip the explicit-index phase")
    p.add_argument("--no-readme", action="store_true", help="don't touch README.md")
    p.add_argument("--json", type=Path, help="write the results here (default results/<date>.json)")
    p.add_argument("--quick", action="store_true", help="1 rep of 2 s, realtime up to 1,000")
    p.add_argument("--posts", type=int, default=dataset.N_POSTS, help="records per post collection")
    args = p.parse_args(argv)
    dataset.N_POSTS = args.posts
    if args.quick:
        args.reps, args.duration, args.slow_duration, args.realtime = 1, 1.0, 2.0, "100,1000"
    if args.no_realtime:
        args.realtime = ""
    return args


def log(msg: str) -> None:
    print(msg, flush=True)


def machine() -> dict[str, Any]:
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import psutil

    commit = subprocess.run(
        ["git", "-C", str(ROOT), "describe", "--always", "--dirty"], capture_output=True, text=True
    ).stdout.strip()
    pb = subprocess.run(
        [str(ROOT / ".venv/bin/pocketbase"), "--version"], capture_output=True, text=True
    ).stdout.strip()
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_gb": round(psutil.virtual_memory().total / 2**30),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "pocketbase": pb.split()[-1] if pb else "?",
        "baas_commit": commit or "?",
        "host": platform.node(),
    }


def raise_fd_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def settle(s: Server, idle_cores: float = 0.05, window: float = 0.2, limit: float = 30.0) -> float:
    """Wait until the server's CPU use drops to ``idle_cores``: wrk quits with requests in
    flight, and a slow server keeps working on them (into the next server's run)."""
    t0 = time.monotonic()
    last = s.usage()
    while time.monotonic() - t0 < limit:
        time.sleep(window)
        now = s.usage()
        if cpu_delta(last, now) / window < idle_cores:
            break
        last = now
    return time.monotonic() - t0


class Bench:
    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.wrk = wrk.ensure_wrk()
        self.servers = [Server.parse(k) for k in args.servers.split(",") if k]
        for s in self.servers:
            s.keep_log = LOGS / f"{dt.date.today().isoformat()}-{s.key}.log"
        self.data: dict[str, dataset.Dataset] = {}
        self.sampler = RssSampler(self.servers)
        self.tmp = Path(tempfile.mkdtemp(prefix="baas-bench-files-"))
        self.results: dict[str, Any] = {
            "date": dt.date.today().isoformat(),
            "started": dt.datetime.now().isoformat(timespec="seconds"),
            "machine": machine(),
            "config": {
                "duration_s": args.duration,
                "slow_duration_s": args.slow_duration,
                "warmup_s": args.warmup,
                "reps": args.reps,
                "threads": args.threads,
                "concurrency": list(CONCURRENCY),
                "posts": args.posts,
                "users": dataset.N_USERS,
            },
            "servers": [s.key for s in self.servers],
            "setup": {},
            "http": [],
            "realtime": [],
            "memory": {},
            "notes": [],
        }

    # ---- phases ---------------------------------------------------------------------
    def start(self) -> None:
        for s in self.servers:
            t = time.monotonic()
            s.start()
            time.sleep(1.0)
            procs = s.processes()
            self.results["memory"][s.key] = {
                "processes": len(s.app_processes()),
                "idle_started": rss_bytes(procs),
            }
            log(f"  {s.label} on {s.base} ({time.monotonic() - t:.1f} s to start)")

    def seed(self) -> None:
        for s in self.servers:
            t = time.monotonic()
            log(f"  seeding {s.label} through the API…")
            data = dataset.Seeder(s.base).run(progress=log)
            self.data[s.key] = data
            took = time.monotonic() - t
            self.results["setup"][s.key] = {
                "seed_s": round(took, 1),
                "problems": data.problems,
                "details": data.details,
            }
            for step, why in data.problems.items():
                log(f"    problem: {step}: {why} {data.details.get(step, '')[:200]}")
            log(f"    done in {took:.1f} s")
        time.sleep(2.0)
        for s in self.servers:
            self.results["memory"][s.key]["idle_seeded"] = rss_bytes(s.processes())

    def add_indexes(self) -> None:
        for s in self.servers:
            problems = dataset.add_indexes(s.base, self.data[s.key].token)
            self.results["setup"][s.key]["index_problems"] = problems
            for step, why in problems.items():
                log(f"    problem adding indexes on {s.label}: {step}: {why}")

    def http_phase(self, phase: str, keys: list[str]) -> None:
        for key in keys:
            self.scenario(phase, scenarios.BY_KEY[key])

    def scenario(self, phase: str, sc: scenarios.Scenario) -> None:
        log(f"  [{phase}] {sc.label}")
        self.sampler.phase = f"{phase}:{sc.key}"
        ready: dict[str, wrk.Request] = {}
        na: dict[str, str] = {}
        facts: dict[str, Any] = {}
        for s in self.servers:
            d = self.tmp / s.key
            d.mkdir(exist_ok=True)
            built = sc.build(self.data[s.key], d)
            if isinstance(built, str):
                na[s.key] = built
                continue
            why, facts[s.key] = scenarios.probe(s.base, built)
            if why:
                na[s.key] = why
                continue
            try:
                wrk.run(
                    self.wrk, s.base, built, connections=max(CONCURRENCY), seconds=self.args.warmup
                )
                settle(s)
            except Exception as exc:  # noqa: BLE001 - the table says why
                na[s.key] = f"wrk failed: {exc}"[:120]
                continue
            ready[s.key] = built
        for key, why in na.items():
            log(f"    {key}: n/a ({why})")
        runs: dict[tuple[str, int], list[dict[str, Any]]] = {}
        seconds = self.args.slow_duration if sc.slow and phase == "default" else self.args.duration
        order = [s for s in self.servers if s.key in ready]
        for rep in range(self.args.reps):
            for c in CONCURRENCY:
                rotated = order[rep % len(order) :] + order[: rep % len(order)] if order else []
                for s in rotated:
                    runs.setdefault((s.key, c), []).append(
                        self.measure(s, ready[s.key], c, seconds)
                    )
        for c in CONCURRENCY:
            row: dict[str, Any] = {
                "phase": phase,
                "scenario": sc.key,
                "label": sc.label + (" + indexes" if phase == "indexed" else ""),
                "c": c,
                "servers": {},
                "ratios": {},
                "facts": facts,
            }
            for s in self.servers:
                if s.key in na:
                    row["servers"][s.key] = {"na": na[s.key]}
                else:
                    summary = report.summarize_runs(runs.get((s.key, c), []))
                    summary["raw"] = runs.get((s.key, c), [])
                    row["servers"][s.key] = summary
            base = report.baseline(self.results["servers"])
            for key in row["servers"]:
                if key != base:
                    row["ratios"][key] = report.ratio(row["servers"][key], row["servers"].get(base))
            self.results["http"].append(row)
            cells = []
            for s in self.servers:
                x = row["servers"][s.key]
                cells.append(
                    f"{s.key} n/a"
                    if "na" in x
                    else f"{s.key} {x['rps']:,.0f} req/s p99 {x['p99_ms'] or 0:.0f} ms"
                )
            log(f"    c={c}: " + "; ".join(cells))

    def measure(self, s: Server, request: wrk.Request, c: int, seconds: float) -> dict[str, Any]:
        """One wrk run, then wait for the server to finish what wrk left in flight."""
        before = s.usage()
        try:
            out = wrk.run(
                self.wrk, s.base, request, connections=c, seconds=seconds, threads=self.args.threads
            )
        except Exception as exc:  # noqa: BLE001 - one failed run is a row of errors, not a crash
            log(f"    {s.key} c={c}: wrk failed: {exc}")
            out = {
                "requests": 0,
                "rps": 0.0,
                "p50_ms": 0.0,
                "p90_ms": 0.0,
                "p99_ms": 0.0,
                "max_ms": 0.0,
                "errors": 1,
                "error_kinds": {"wrk": str(exc)[:200]},
            }
        out["load_avg_1m"] = round(os.getloadavg()[0], 2)
        out["settle_s"] = round(settle(s), 2)
        # wrk stops with one request in flight per connection; the server still does
        # them (CPU until it is idle again), so they count as handled requests.
        handled = out["requests"] + c
        cpu = cpu_delta(before, s.usage())
        out["cpu_s"] = round(cpu, 3)
        out["cpu_ms_per_req"] = 1000 * cpu / handled
        return out

    def realtime_phase(self, sizes: list[int]) -> None:
        for subscribers, events, rate, procs in REALTIME_SIZES:
            if subscribers not in sizes:
                continue
            row: dict[str, Any] = {"subscribers": subscribers, "servers": {}}
            self.sampler.phase = f"realtime:{subscribers}"
            for s in self.servers:
                why = realtime.probe(s.base)
                if why:
                    row["servers"][s.key] = {"na": why}
                    log(f"  realtime {subscribers}: {s.key} n/a ({why})")
                    continue
                before = s.usage()
                try:
                    r = realtime.fanout(
                        s.base,
                        subscribers,
                        events=events,
                        rate=rate,
                        run_id=int(time.time()) % 100000,
                        procs=procs,
                        grace=3.0,
                    )
                except Exception as exc:  # noqa: BLE001 - report and go on
                    r = {"na": f"client failed: {type(exc).__name__}: {exc}"[:120]}
                settle(s)
                r["server_cpu_s"] = round(cpu_delta(before, s.usage()), 2)
                if "na" not in r and r["write_errors"] == r["events"]:
                    r = {"na": f"creates failed: {r['write_status']}", **r}
                elif "na" not in r and not r["subscribed"]:
                    r = {"na": "no subscriber got in", **r}
                row["servers"][s.key] = r
                if "na" in r:
                    log(f"  realtime {subscribers}: {s.key} {r['na']}")
                else:
                    log(
                        f"  realtime {subscribers}: {s.key} subscribed {r['subscribed']}"
                        f" in {r['connect_s']} s, delivered {r['delivered_pct']:.1f} %,"
                        f" p50 {r['p50_ms'] or 0:.0f} ms p99 {r['p99_ms'] or 0:.0f} ms"
                    )
            self.results["realtime"].append(row)

    def stop(self) -> None:
        for s in self.servers:
            s.stop()

    # ---- the whole run ----------------------------------------------------------------
    def run(self) -> dict[str, Any]:
        keys = [k for k in self.args.scenarios.split(",") if k]
        unknown = [k for k in keys if k not in scenarios.BY_KEY]
        if unknown:
            raise SystemExit(f"unknown scenarios: {unknown}; known: {list(scenarios.BY_KEY)}")
        sampler = self.sampler
        t0 = time.monotonic()
        try:
            log("Starting servers")
            self.start()
            sampler.start()
            log("Seeding (HTTP API only)")
            sampler.phase = "seed"
            self.seed()
            log("Measuring: as a user creates them (each side's default indexes)")
            self.http_phase("default", keys)
            listed = [k for k in keys if k in scenarios.LIST_SCENARIOS]
            if listed and not self.args.no_indexed:
                log("Adding the same explicit indexes on both: created, (author, created), views")
                self.add_indexes()
                self.http_phase("indexed", listed)
            sizes = [int(x) for x in self.args.realtime.split(",") if x]
            if sizes:
                log("Realtime fan-out")
                self.realtime_phase(sizes)
        finally:
            sampler.stop()
            for s in self.servers:
                self.results["memory"].setdefault(s.key, {})["peak"] = s.peak_rss
                self.results["memory"][s.key]["peaks"] = s.peaks
                if s.proc is not None and s.proc.poll() is not None:
                    self.results["notes"].append(
                        f"{s.label} exited during the run: {s.tail_log(300)}"
                    )
            self.stop()
            shutil.rmtree(self.tmp, ignore_errors=True)
        self.results["elapsed_s"] = round(time.monotonic() - t0, 1)
        return self.results


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    raise_fd_limit()
    bench = Bench(args)
    results = bench.run()
    text = report.markdown(results)
    print("\n" + text + "\n")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=1, default=str) + "\n")
        path = args.json.resolve()
    else:
        path = report.write_json(results, RESULTS)
    print(f"Results: {path} ({results['elapsed_s']:.0f} s)")
    if not args.no_readme:
        report.update_readme(ROOT / "README.md", text)
        print("README.md: Performance section updated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
