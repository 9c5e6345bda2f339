"""API part of `make bench`: cold imports of every handler, and per-request cost of the polling routes.

- Cold import: each Lambda handler module imported in a fresh process (median of 5), next to a
  `python -c pass` baseline.
- Per request: DynamoDB calls and handler time for `GET run` and a 50-item list page, next to one raw
  boto3 GetItem / Query against the same embedded moto server.
Writes its figures into `bench/results.json` under "api".
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
import time
from typing import Any

from bench.embedded import PATHS, REPO, embedded_workspace

RESULTS_PATH = REPO / "bench" / "results.json"


def _time_import(statement: str) -> float:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(PATHS), "AWS_DEFAULT_REGION": "us-east-1"}
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", statement], check=True, env=env, capture_output=True)
    return (time.perf_counter() - started) * 1000


def cold_imports(repeats: int = 5) -> dict[str, float]:
    """Median milliseconds to import each handler in a fresh process, minus the interpreter's own start."""
    from runs.routes import ROUTES

    _time_import("pass")  # warm the page cache and .pyc files
    baseline = statistics.median(_time_import("pass") for _ in range(repeats))
    results: dict[str, float] = {}
    for module in ["authorizer", *sorted({route.handler for route in ROUTES})]:
        _time_import(f"import {module}")
        samples = [_time_import(f"import {module}") for _ in range(repeats)]
        results[module] = round(statistics.median(samples) - baseline, 1)
    return results


def request_costs(samples: int = 50) -> dict[str, Any]:
    """Handler time and DynamoDB calls for GET run and a 50-item list page vs raw boto3."""
    with embedded_workspace("bench") as api:
        from runs.dal.clients import client
        from runs.settings import get_settings
        from tests.integration.conftest import dynamodb_requests, make_csv_upload

        document_id = make_csv_upload(api)
        run_ids = [
            api.call("POST", api.ws("/runs"), json_body={"inputDocumentId": document_id}).json()["id"]
            for _ in range(60)
        ]
        import runs_get
        import runs_list

        def event(path: str, params: dict[str, str], query: dict[str, str] | None = None) -> dict[str, Any]:
            from runs.auth import Principal

            return {
                "path": path,
                "httpMethod": "GET",
                "headers": {},
                "pathParameters": params,
                "queryStringParameters": query,
                "requestContext": {"requestId": "b", "authorizer": Principal("bench", True).to_authorizer_context()},
            }

        def timed(function: Any, argument: Any) -> tuple[float, int]:
            times, calls_made = [], 0
            for _ in range(samples):
                with dynamodb_requests() as calls:
                    started = time.perf_counter()
                    function(argument)
                    times.append((time.perf_counter() - started) * 1000)
                calls_made = len(calls)
            return round(statistics.median(times), 2), calls_made

        settings = get_settings()
        dynamodb = client("dynamodb")
        get_event = event(api.ws(f"/runs/{run_ids[0]}"), {"workspaceId": api.workspace_id, "runId": run_ids[0]})
        list_event = event(api.ws("/runs"), {"workspaceId": api.workspace_id}, {"limit": "50"})
        get_ms, get_calls = timed(lambda e: runs_get.handler(e, None), get_event)
        list_ms, list_calls = timed(lambda e: runs_list.handler(e, None), list_event)
        raw_get_ms, _ = timed(
            lambda key: dynamodb.get_item(TableName=settings.runs_table, Key=key, ConsistentRead=True),
            {"pk": {"S": f"WS#{api.workspace_id}"}, "sk": {"S": f"RUN#{run_ids[0]}"}},
        )
        raw_query_ms, _ = timed(
            lambda values: dynamodb.query(
                TableName=settings.runs_table,
                KeyConditionExpression="pk = :p",
                ExpressionAttributeValues=values,
                Limit=51,
                ScanIndexForward=False,
            ),
            {":p": {"S": f"WS#{api.workspace_id}"}},
        )
        return {
            "get_run": {"handler_ms": get_ms, "dynamodb_calls": get_calls, "raw_get_item_ms": raw_get_ms},
            "list_page_50": {"handler_ms": list_ms, "dynamodb_calls": list_calls, "raw_query_ms": raw_query_ms},
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.parse_args(argv)
    costs = request_costs()
    imports = cold_imports()
    print("\nPer request (embedded moto; median of 50)")
    print(f"{'request':<14} {'handler ms':>10} {'DynamoDB calls':>15} {'raw boto3 ms':>13}")
    print(
        f"{'GET run':<14} {costs['get_run']['handler_ms']:>10} {costs['get_run']['dynamodb_calls']:>15} "
        f"{costs['get_run']['raw_get_item_ms']:>13}"
    )
    print(
        f"{'list 50':<14} {costs['list_page_50']['handler_ms']:>10} {costs['list_page_50']['dynamodb_calls']:>15} "
        f"{costs['list_page_50']['raw_query_ms']:>13}"
    )
    print("\nCold import of each handler (fresh process, median of 5, interpreter start subtracted)")
    for module, millis in imports.items():
        print(f"  {module:<26} {millis:>7.1f} ms")
    existing = json.loads(RESULTS_PATH.read_text()) if RESULTS_PATH.exists() else {}
    existing["api"] = {
        "measured_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "per_request": costs,
        "cold_import_ms": imports,
    }
    RESULTS_PATH.write_text(json.dumps(existing, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
