"""Preview latency and memory on a million-row output (part of `make bench`).

`python -m bench.preview_bench [--rows 1000000] [--output PATH]` puts an output workbook (by default
written with rustpy-xlsxwriter, the engine's writer, cached in bench/out/; `--output` takes any xlsx,
such as one the engine wrote) on the embedded moto as a succeeded run's output, then calls the
`runs_output_preview` handler in a fresh process: the first call (cold container: clients, connections)
and the median of warm calls, for the default window (100 rows) and the largest (1,000 x 200), with the
process's peak RSS and the S3 GETs and bytes one preview made; and the same preview of the file on
local disk (the reader's own time: moto reads a whole object to serve any range of it, S3 does not).
Merges its figures into `bench/results.json` under "preview".
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench.embedded import PATHS, REPO, embedded_workspace

RESULTS_PATH = REPO / "bench" / "results.json"
OUT_DIR = REPO / "bench" / "out"
HEADER = ["first_name", "last_name", "full_name", "email", "phone", "member_id", "date_of_birth"]
WINDOWS = {"100 rows x 50 columns (default)": {}, "1000 rows x 200 columns (largest)": {"maxRows": "1000"}}
WARM_CALLS = 5

# Runs in a fresh process: imports the handler, then previews; prints one JSON object.
_CHILD = textwrap.dedent(
    """
    import json, statistics, sys, time
    from pathlib import Path

    def memory(field):
        return int(Path("/proc/self/status").read_text().split(field + ":")[1].split()[0]) / 1024

    event, warm_calls, output = json.loads(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    import runs_output_preview
    from runs.dal.clients import client
    from runs.models.outputs import PreviewQuery
    from runs.preview.workbook import XlsxWorkbook

    after_import = memory("VmRSS")
    fetched = []
    client("s3").meta.events.register(
        "after-call.s3.GetObject",
        lambda **kw: fetched.append(int(kw["http_response"].headers.get("Content-Length", 0))),
    )
    started = time.perf_counter()
    response = runs_output_preview.handler(event, None)
    first_ms = (time.perf_counter() - started) * 1000
    assert response["statusCode"] == 200, response["body"][:500]
    gets, fetched_bytes = len(fetched), sum(fetched)
    warm = []
    for _ in range(warm_calls):
        started = time.perf_counter()
        runs_output_preview.handler(event, None)
        warm.append((time.perf_counter() - started) * 1000)
    body = json.loads(response["body"])
    query = PreviewQuery.model_validate(event["queryStringParameters"] or {})
    local = []
    for _ in range(warm_calls):
        started = time.perf_counter()
        with open(output, "rb") as file:
            XlsxWorkbook(file).preview(query)
        local.append((time.perf_counter() - started) * 1000)
    print(json.dumps({
        "first_call_ms": round(first_ms, 1),
        "warm_median_ms": round(statistics.median(warm), 1),
        "local_file_median_ms": round(statistics.median(local), 1),
        "rss_after_import_mb": round(after_import, 1),
        "peak_rss_mb": round(memory("VmHWM"), 1),
        "s3_gets": gets,
        "s3_bytes": fetched_bytes,
        "rows_returned": len(body["rows"]),
        "total_rows": body["totalRows"],
        "response_bytes": len(response["body"]),
    }))
    """
)


def _rows(count: int) -> Iterator[dict[str, Any]]:
    birth = datetime.date(1950, 1, 1)
    for index in range(count):
        yield {
            "first_name": f"First{index % 997}",
            "last_name": f"Last{index % 991}",
            "full_name": f"First{index % 997} Last{index % 991}",
            "email": f"member{index}@example.com",
            "phone": f"+1416555{index % 10_000:04d}",
            "member_id": 100_000 + index,
            "date_of_birth": birth + datetime.timedelta(days=index % 20_000),
        }


def output_workbook(rows: int) -> Path:
    """A normalized-looking output with `rows` data rows (cached)."""
    from rustpy_xlsxwriter import FastExcel

    path = OUT_DIR / f"output_{rows}.xlsx"
    if not path.exists():
        OUT_DIR.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial.xlsx")
        FastExcel(str(partial)).sheet("Members", _rows(rows)).save()
        partial.replace(path)
    return path


def measure(output: Path) -> dict[str, Any]:
    with embedded_workspace("bench-preview") as api:
        from runs.auth import Principal
        from tests.integration.run_states import finish, queued_run

        run_id = queued_run(api)
        finish(api, run_id, output=output.read_bytes(), output_filename="members.xlsx")
        results: dict[str, Any] = {"output_bytes": output.stat().st_size}
        for label, query in WINDOWS.items():
            event = {
                "path": api.ws(f"/runs/{run_id}/output/preview"),
                "httpMethod": "GET",
                "headers": {},
                "pathParameters": {"workspaceId": api.workspace_id, "runId": run_id},
                "queryStringParameters": query or None,
                "requestContext": {"requestId": "b", "authorizer": Principal("bench", True).to_authorizer_context()},
            }
            child = subprocess.run(
                [sys.executable, "-c", _CHILD, json.dumps(event), str(WARM_CALLS), str(output)],
                check=True,
                capture_output=True,
                text=True,
                env={**os.environ, "PYTHONPATH": os.pathsep.join([*PATHS, str(REPO)])},
            )
            results[label] = json.loads(child.stdout)
        return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--output", type=Path, help="an xlsx output to preview instead of a generated one")
    arguments = parser.parse_args(argv)
    output = arguments.output or output_workbook(arguments.rows)
    results = measure(output)
    print(f"\nOutput preview ({output.name}, {results['output_bytes'] / 1e6:.1f} MB, embedded moto, fresh process)")
    print(
        f"{'window':<34} {'first ms':>9} {'warm ms':>8} {'disk ms':>8} {'peak MB':>8} {'S3 GETs':>8} "
        f"{'S3 KB':>7} {'rows':>5}"
    )
    for label in WINDOWS:
        figures = results[label]
        cells = [
            figures["first_call_ms"],
            figures["warm_median_ms"],
            figures["local_file_median_ms"],
            figures["peak_rss_mb"],
            figures["s3_gets"],
            figures["s3_bytes"] // 1024,
        ]
        print(
            f"{label:<34} {cells[0]:>9} {cells[1]:>8} {cells[2]:>8} {cells[3]:>8} {cells[4]:>8} {cells[5]:>7} "
            f"{figures['rows_returned']:>5}"
        )
    existing = json.loads(RESULTS_PATH.read_text()) if RESULTS_PATH.exists() else {}
    existing["preview"] = {
        "measured_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "output": output.name,
        **results,
    }
    RESULTS_PATH.write_text(json.dumps(existing, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
