"""Summaries of the raw runs: the table, the JSON file and README's Performance section."""

from __future__ import annotations

import json
import re
import statistics
from pathlib import Path
from typing import Any

README_START = "<!-- bench:start -->"
README_END = "<!-- bench:end -->"
COLUMNS = {"peer": "pocketbase", "sqlite": "baas SQLite", "pg": "baas PG+Redis"}


def column(key: str) -> str:
    """Column name of a server key: ``sqlite``, or ``sqlite@<dir>`` for a --baas-src variant."""
    kind, _, variant = key.partition("@")
    return COLUMNS[kind] + (f" [{variant}]" if variant else "")


def baseline(servers: list[str]) -> str:
    """What the ratios compare against: the peer, else the first server (A/B runs)."""
    return "peer" if "peer" in servers else servers[0]


def summarize_runs(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Median of the repeated wrk runs of one (scenario, server, concurrency)."""
    if not runs:
        return {}
    cpu = [r["cpu_ms_per_req"] for r in runs if r.get("cpu_ms_per_req") is not None]
    timed = [r for r in runs if r["requests"]]  # a run that finished nothing has no latency
    return {
        "rps": statistics.median(r["rps"] for r in runs),
        "p50_ms": statistics.median(r["p50_ms"] for r in timed) if timed else None,
        "p99_ms": statistics.median(r["p99_ms"] for r in timed) if timed else None,
        "errors": sum(r["errors"] for r in runs),
        "requests": sum(r["requests"] for r in runs),
        "cpu_ms_per_req": statistics.median(cpu) if cpu else None,
        "runs": len(runs),
    }


def ratio(ours: dict[str, Any] | None, peer: dict[str, Any] | None) -> dict[str, float | None]:
    """ours/peer for req/s, and for requests per server CPU-second."""
    if not ours or not peer or "rps" not in ours or "rps" not in peer or not peer["rps"]:
        return {"rps": None, "per_cpu": None}
    per_cpu = None
    if ours.get("cpu_ms_per_req") and peer.get("cpu_ms_per_req"):
        per_cpu = peer["cpu_ms_per_req"] / ours["cpu_ms_per_req"]
    return {"rps": ours["rps"] / peer["rps"], "per_cpu": per_cpu}


def fmt_num(x: float | None, digits: int = 0) -> str:
    if x is None:
        return "–"
    if digits == 0:
        return f"{x:,.0f}"
    return f"{x:,.{digits}f}"


def fmt_ms(x: float | None) -> str:
    if x is None:
        return "–"
    if x >= 1000:
        return f"{x / 1000:.2f} s"
    if x >= 100:
        return f"{x:.0f}"
    if x >= 10:
        return f"{x:.1f}"
    return f"{x:.2f}"


def cell(summary: dict[str, Any]) -> list[str]:
    """req/s | p50 / p99 ms | CPU ms/req for one server, or an n/a line."""
    if "na" in summary:
        return [f"n/a ({summary['na']})", "–", "–"]
    rps = fmt_num(summary["rps"], 1 if summary["rps"] < 10 else 0)
    if not summary.get("requests"):
        rps = "0 (none finished)"
    elif summary["errors"]:
        rps += f" ({summary['errors']:,} err)"
    return [
        rps,
        f"{fmt_ms(summary['p50_ms'])} / {fmt_ms(summary['p99_ms'])}",
        fmt_num(summary["cpu_ms_per_req"], 2),
    ]


def fmt_ratio(r: dict[str, float | None]) -> str:
    if r["rps"] is None:
        return "–"
    text = f"{r['rps']:.2f}×"
    if r["per_cpu"] is not None:
        text += f" ({r['per_cpu']:.2f}×)"
    return text


def http_table(results: dict[str, Any]) -> str:
    servers = results["servers"]
    base = baseline(servers)
    head = ["scenario", "c"]
    for key in servers:
        head += [f"{column(key)} req/s", "p50 / p99 ms", "CPU ms/req"]
        if key != base:
            head.append(f"×{column(base)}" if base != "peer" else "×peer")
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join(["---"] * len(head)) + "|"]
    for row in results["http"]:
        out = [row["label"], str(row["c"])]
        for key in servers:
            s = row["servers"].get(key, {"na": "not run"})
            out += cell(s)
            if key != base:
                out.append(fmt_ratio(row["ratios"].get(key, {"rps": None, "per_cpu": None})))
        lines.append("| " + " | ".join(out) + " |")
    return "\n".join(lines)


def fmt_latency(x: float | None) -> str:
    """fmt_ms with its unit, for cells outside the HTTP table."""
    text = fmt_ms(x)
    return text if text == "–" or text.endswith(" s") else f"{text} ms"


def realtime_table(results: dict[str, Any]) -> str:
    lines = [
        "| SSE subscribers | server | subscribed | connect | delivered | p50 | p99"
        " | create p50 during fan-out | server CPU |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in results.get("realtime", []):
        for key in results["servers"]:
            r = row["servers"].get(key)
            if r is None:
                continue
            n = f"{row['subscribers']:,}"
            if "na" in r:
                lines.append(f"| {n} | {column(key)} | n/a ({r['na']}) | – | – | – | – | – | – |")
                continue
            lines.append(
                f"| {n} | {column(key)} | {r['subscribed']:,} | {r['connect_s']:.1f} s"
                f" | {r['delivered_pct']:.1f} % | {fmt_latency(r['p50_ms'])}"
                f" | {fmt_latency(r['p99_ms'])} | {fmt_latency(r.get('write_p50_ms'))}"
                f" | {fmt_num(r.get('server_cpu_s'), 1)} s |"
            )
    events = {
        row["subscribers"]: next((r for r in row["servers"].values() if "events" in r), None)
        for row in results.get("realtime", [])
    }
    offered = ", ".join(
        f"{n:,}: {r['events']} creates at {r['rate_per_s']:g}/s" for n, r in events.items() if r
    )
    if offered:
        lines.append("")
        lines.append(
            f"Realtime: {offered}; latency = receipt minus the create's send time (client lag"
            " included); server CPU = its process tree from the first connection to idle after"
            " the last delivery."
        )
    return "\n".join(lines)


def memory_table(results: dict[str, Any]) -> str:
    lines = [
        "| server | processes | idle RSS (started) | idle RSS (seeded) | peak RSS |",
        "|---|---:|---:|---:|---:|",
    ]
    for key in results["servers"]:
        m = results["memory"].get(key, {})
        mb = lambda b: f"{b / 2**20:,.0f} MB" if b else "–"  # noqa: E731
        lines.append(
            f"| {column(key)} | {m.get('processes', '–')} | {mb(m.get('idle_started'))}"
            f" | {mb(m.get('idle_seeded'))} | {mb(m.get('peak'))} |"
        )
    lines += [
        "",
        "RSS summed over each server's process tree, sampled every 0.5 s over the whole run;"
        " the PostgreSQL figure adds its backends, whose RSS counts the shared buffers each"
        " touched (an over-count).",
    ]
    return "\n".join(lines)


def markdown(results: dict[str, Any]) -> str:
    m = results["machine"]
    cfg = results["config"]
    loads = [
        run["load_avg_1m"]
        for row in results["http"]
        for summary in row["servers"].values()
        for run in summary.get("raw", [])
        if "load_avg_1m" in run
    ]
    load = (
        f" Load average during the runs {min(loads):.1f}–{max(loads):.1f} (other work on the machine"
        " included)."
        if loads
        else ""
    )
    parts = [
        f"Measured {results['date']} on {m['cpu']} ({m['cores']} cores, {m['ram_gb']} GB RAM), "
        f"{m['os']}, Python {m['python']}; pocketbase {m['pocketbase']}, baas {m['baas_commit']}. "
        f"`make bench`: wrk, {cfg['threads']} threads, {cfg['duration_s']:g} s per run "
        f"({cfg.get('slow_duration_s', cfg['duration_s']):g} s for the lists without indexes and"
        f" sign-in) after a {cfg['warmup_s']:g} s warm-up, median of {cfg['reps']} interleaved runs, servers measured one "
        f"at a time on loopback. {cfg['posts']:,} posts per collection, {cfg['users']} users.{load}",
        "",
        "×peer = ours/peer req/s (in brackets: ours/peer requests per server CPU-second, the "
        "figure least disturbed by other load). CPU ms/req = CPU of the server's process tree "
        "(plus its PostgreSQL backends) from the start of a run until it is idle again, per "
        "request handled (wrk's completed requests plus the one left in flight per connection). "
        "The machine is shared and noisy: trust ratios, and CPU ms/req over req/s.",
        "",
        http_table(results),
        "",
        realtime_table(results),
        "",
        memory_table(results),
    ]
    if results.get("notes"):
        parts += ["", *[f"- {n}" for n in results["notes"]]]
    return "\n".join(parts)


def results_path(directory: Path, date: str) -> Path:
    """bench/results/<date>.json; a second run on the same day gets <date>-2.json, and so on."""
    path = directory / f"{date}.json"
    n = 2
    while path.exists():
        path = directory / f"{date}-{n}.json"
        n += 1
    return path


def write_json(results: dict[str, Any], directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = results_path(directory, results["date"])
    path.write_text(json.dumps(results, indent=1, default=str) + "\n")
    return path


def replace_section(readme: str, body: str) -> str:
    """Put ``body`` between the bench markers; add a Performance section if they're absent."""
    block = f"{README_START}\n{body.strip()}\n{README_END}"
    pattern = re.compile(re.escape(README_START) + r".*?" + re.escape(README_END), re.S)
    if pattern.search(readme):
        return pattern.sub(lambda _: block, readme, count=1)
    return readme.rstrip("\n") + "\n\n## Performance\n\n" + block + "\n"


def update_readme(path: Path, body: str) -> None:
    path.write_text(replace_section(path.read_text(), body))


def main(argv: list[str] | None = None) -> int:
    """``python -m bench.report RESULTS.json [--readme]``: print (and put in README) a table."""
    import argparse

    p = argparse.ArgumentParser(prog="bench.report")
    p.add_argument("results", type=Path)
    p.add_argument("--readme", action="store_true", help="also rewrite README's section")
    args = p.parse_args(argv)
    results = json.loads(args.results.read_text())
    for row in results[
        "http"
    ]:  # re-summarise from the raw runs (older files summarised differently)
        for key, summary in row["servers"].items():
            if summary.get("raw"):
                row["servers"][key] = {**summarize_runs(summary["raw"]), "raw": summary["raw"]}
        base = baseline(results["servers"])
        row["ratios"] = {
            k: ratio(v, row["servers"].get(base)) for k, v in row["servers"].items() if k != base
        }
    text = markdown(results)
    print(text)
    if args.readme:
        update_readme(Path(__file__).resolve().parent.parent / "README.md", text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
