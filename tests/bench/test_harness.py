"""The benchmark harness's own parsing and formatting (no servers, nothing timed)."""

from __future__ import annotations

from pathlib import Path

from bench import dataset, realtime, report, scenarios, wrk


def test_wrk_summary_line() -> None:
    out = (
        "Running 2s test @ http://127.0.0.1:1\n"
        'BENCH_JSON {"requests":2000,"duration_us":2000000,"bytes":10,'
        '"errors":{"connect":0,"read":1,"write":0,"status":3,"timeout":0},'
        '"latency_us":{"p50":1500,"p90":3000,"p99":12000,"max":20000,"mean":1800.0}}\n'
    )
    r = wrk.parse_output(out)
    assert r["rps"] == 1000
    assert (r["p50_ms"], r["p99_ms"]) == (1.5, 12.0)
    assert r["errors"] == 4
    assert r["error_kinds"] == {"read": 1, "status": 3}


def test_sse_blocks_and_chunked_decoding() -> None:
    blocks, rest = realtime.parse_events(
        b'id:a\r\nevent:PB_CONNECT\r\ndata:{"clientId":"a"}\r\n\r\nevent:x\ndata:'
    )
    assert rest == b"event:x\ndata:"
    assert realtime.event_data(blocks[0]) == b'{"clientId":"a"}'
    decoder = realtime.ChunkedDecoder()
    body = b"hello world, split across chunks"
    wire = b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in (body[:7], body[7:])) + b"0\r\n\r\n"
    assert b"".join(decoder.feed(wire[i : i + 5]) for i in range(0, len(wire), 5)) == body


def test_percentile_nearest_rank() -> None:
    values = [float(x) for x in range(1, 101)]
    assert realtime.percentile(values, 50) == 50
    assert realtime.percentile(values, 99) == 99
    assert realtime.percentile([], 50) is None


def test_summary_and_ratio() -> None:
    runs = [
        {"rps": r, "p50_ms": 1.0, "p99_ms": 5.0, "errors": 0, "requests": 10, "cpu_ms_per_req": c}
        for r, c in ((100, 2.0), (300, 1.0), (200, 1.5))
    ]
    s = report.summarize_runs(runs)
    assert s["rps"] == 200 and s["cpu_ms_per_req"] == 1.5
    r = report.ratio(s, {"rps": 400, "cpu_ms_per_req": 0.5})
    assert r["rps"] == 0.5 and round(r["per_cpu"], 3) == 0.333
    assert report.ratio({"na": "endpoint missing: 404"}, s) == {"rps": None, "per_cpu": None}
    assert report.cell({"na": "endpoint missing: 404"})[0] == "n/a (endpoint missing: 404)"


def test_readme_section_added_then_replaced() -> None:
    once = report.replace_section("# baas\n\nText.\n", "table 1")
    assert once.endswith(f"## Performance\n\n{report.README_START}\ntable 1\n{report.README_END}\n")
    twice = report.replace_section(once, "table 2")
    assert "table 1" not in twice and twice.count("## Performance") == 1


def test_results_file_names(tmp_path: Path) -> None:
    assert report.results_path(tmp_path, "2026-01-02").name == "2026-01-02.json"
    (tmp_path / "2026-01-02.json").write_text("{}")
    assert report.results_path(tmp_path, "2026-01-02").name == "2026-01-02-2.json"


def test_request_bodies() -> None:
    assert len(dataset.record_id("p", 42)) == 15
    body = scenarios.multipart_body()
    assert body.count(scenarios.MULTIPART_BOUNDARY.encode()) == 3
    assert len(body) > dataset.FILE_BYTES
