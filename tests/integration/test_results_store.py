"""Results storage: a report of any size in S3, metrics in one item, run lists unaffected."""

from __future__ import annotations

from typing import Any

from tests.integration.conftest import Api


def _report(columns: int) -> dict[str, Any]:
    return {
        "schemaVersion": 1,
        "status": "succeeded",
        "metrics": {"evaluationOutcome": "success", "rowCountTotal": 3},
        "columns": [{"columnIndex": i, "headerRaw": f"Column {i} " + "x" * 40} for i in range(columns)],
    }


def test_a_report_past_the_item_limit_is_saved_and_read_back(api: Api) -> None:
    from runs.dal import results

    report = _report(16_384)  # about 1 MB of JSON: more than DynamoDB's 400 KB item limit
    results.save_results(api.workspace_id, "0190a000-0000-7000-8000-000000000001", report)

    assert results.get_report(api.workspace_id, "0190a000-0000-7000-8000-000000000001") == report
    assert results.get_metrics(api.workspace_id, "0190a000-0000-7000-8000-000000000001") == report["metrics"]


def test_results_of_an_unknown_run_are_none(api: Api) -> None:
    from runs.dal import results

    assert results.get_metrics(api.workspace_id, "0190a000-0000-7000-8000-000000000009") is None
    assert results.get_report(api.workspace_id, "0190a000-0000-7000-8000-000000000009") is None


def test_result_items_are_not_listed_or_counted_as_runs(api: Api) -> None:
    from runs.dal import results

    results.save_results(api.workspace_id, "0190a000-0000-7000-8000-000000000002", _report(1))

    page = api.call("GET", api.ws("/runs"), query={"includeTotal": "true"}).json()
    assert page["items"] == []
    assert page["meta"]["totalCount"] == 0
