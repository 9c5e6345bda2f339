"""`/metrics`, `/fields` and `/columns`: the engine's report as the API serves it (DESIGN §6, §8)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.integration.conftest import Api
from tests.integration.run_states import EngineResult, finish, queued_run, run_engine
from tests.integration.test_request_cost import _handler_only

LAMBDA_RESPONSE_LIMIT = 6 * 1024 * 1024


@pytest.fixture(scope="module")
def engine_result() -> EngineResult:
    return run_engine()


def _column(sheet: int, table: int, column: int, **overrides: Any) -> dict[str, Any]:
    mapped = column % 3 == 0
    values: dict[str, Any] = {
        "workbookIndex": 0,
        "workbookName": "book.xlsx",
        "sheetIndex": sheet,
        "sheetName": f"Sheet {sheet}",
        "tableIndex": table,
        "columnIndex": column,
        "headerRaw": f"Header {column}",
        "headerNormalized": f"header {column}",
        "nonEmptyCells": 10,
        "validCells": 9,
        "mappingStatus": "mapped" if mapped else "unmapped",
        "mappedField": f"field_{column}" if mapped else None,
        "mappingScore": 0.9 if mapped else None,
        "mappingMethod": "header_exact" if mapped else None,
        "unmappedReason": None if mapped else "no_signal",
        "candidates": [{"field": f"field_{column}", "score": 0.9}],
    }
    return values | overrides


def _report(engine_result: EngineResult, columns: list[dict[str, Any]]) -> dict[str, Any]:
    """The engine's real report with other columns, validated against the report model."""
    from normalizer.report import Report

    return Report.model_validate({**engine_result.report, "columns": columns}).to_json_dict()


def _all_pages(api: Api, path: str, query: dict[str, Any] | None = None) -> tuple[list[dict[str, Any]], int]:
    """Every column, following `Link: rel="next"`; also how many pages it took."""
    items: list[dict[str, Any]] = []
    pages = 0
    while True:
        response = api.call("GET", path, query=query)
        assert response.status == 200, response.body
        # What Lambda would return must stay under its response limit, escaping included.
        assert len(json.dumps({"body": response.body.decode()})) < LAMBDA_RESPONSE_LIMIT
        items.extend(response.json())
        pages += 1
        link = response.headers.get("Link")
        if link is None:
            return items, pages
        target, _, relation = link.partition(">; ")
        assert relation == 'rel="next"'
        url = urlsplit(target.removeprefix("<"))
        assert url.path == path
        query = {key: values[-1] for key, values in parse_qs(url.query).items()}


def test_results_are_404_and_empty_until_the_run_has_a_report(api: Api) -> None:
    run_id = queued_run(api)

    metrics = api.call("GET", api.ws(f"/runs/{run_id}/metrics"))
    fields = api.call("GET", api.ws(f"/runs/{run_id}/fields"))
    columns = api.call("GET", api.ws(f"/runs/{run_id}/columns"))

    assert metrics.status == 404 and metrics.json()["code"] == "METRICS_NOT_FOUND"
    assert (fields.status, fields.json()) == (200, [])
    assert (columns.status, columns.json()) == (200, [])


def test_results_of_a_processed_run_are_the_engines_report(api: Api, engine_result: EngineResult) -> None:
    run_id = queued_run(api)
    finish(api, run_id, output=engine_result.output, report=engine_result.report)

    metrics = api.call("GET", api.ws(f"/runs/{run_id}/metrics")).json()
    fields = api.call("GET", api.ws(f"/runs/{run_id}/fields")).json()
    columns = api.call("GET", api.ws(f"/runs/{run_id}/columns")).json()

    assert metrics == engine_result.report["metrics"]
    assert fields == engine_result.report["fields"]
    assert columns == engine_result.report["columns"]
    assert {column["headerRaw"]: column["mappedField"] for column in columns} == {
        "First Name": "first_name",
        "Last Name": "last_name",
        "E-mail Address": "email",
        "Date of Birth": "date_of_birth",
    }


def test_metrics_cost_one_read(api: Api, engine_result: EngineResult) -> None:
    run_id = queued_run(api)
    finish(api, run_id, output=engine_result.output, report=engine_result.report)

    assert _handler_only(api, api.ws(f"/runs/{run_id}/metrics")) == ["GetItem"]


def test_column_filters_combine_and_accept_both_spellings(api: Api, engine_result: EngineResult) -> None:
    columns = [_column(sheet, table, column) for sheet in (0, 1) for table in (0, 1) for column in range(6)]
    run_id = queued_run(api)
    finish(api, run_id, report=_report(engine_result, columns))
    path = api.ws(f"/runs/{run_id}/columns")

    def keys(query: dict[str, Any]) -> list[tuple[int, int, int]]:
        response = api.call("GET", path, query=query)
        assert response.status == 200, response.body
        return [(c["sheetIndex"], c["tableIndex"], c["columnIndex"]) for c in response.json()]

    assert keys({"sheetName": "Sheet 1", "tableIndex": 0}) == [(1, 0, c) for c in range(6)]
    assert keys({"sheet_index": 0, "mapping_status": "mapped"}) == [(0, t, c) for t in (0, 1) for c in (0, 3)]
    assert keys({"mappedField": " field_3 ", "tableIndex": 1}) == [(0, 1, 3), (1, 1, 3)]
    assert keys({"sheetName": "  "}) == keys({})
    assert keys({"sheetName": "Sheet 9"}) == []


@pytest.mark.parametrize(
    ("query", "path"),
    [
        ({"bogus": "1"}, "bogus"),
        ({"sheetIndex": "-1"}, "sheetIndex"),
        ({"mappingStatus": "MAPPED"}, "mappingStatus"),
        ({"limit": "0"}, "limit"),
    ],
)
def test_bad_column_queries_are_422_with_their_path(api: Api, query: dict[str, str], path: str) -> None:
    run_id = queued_run(api)

    response = api.call("GET", api.ws(f"/runs/{run_id}/columns"), query=query)

    assert response.status == 422
    assert [error["path"] for error in response.json()["errors"]] == [path]


def test_a_16384_column_report_pages_within_lambdas_response_limit(api: Api, engine_result: EngineResult) -> None:
    # Given a sheet at Excel's column limit, with headers whose JSON escaping is as costly as it gets
    header = 'Größe 😀 "quoted" ' * 20
    columns = [_column(0, 0, index, headerRaw=f"{header}{index}", headerNormalized=header) for index in range(16_384)]
    run_id = queued_run(api)
    finish(api, run_id, report=_report(engine_result, columns))

    # When every page is followed
    items, pages = _all_pages(api, api.ws(f"/runs/{run_id}/columns"))

    # Then every column comes once, in report order, over several responses
    assert pages > 1
    assert [item["columnIndex"] for item in items] == list(range(16_384))
    assert items[-1]["headerRaw"] == f"{header}16383"


def test_limit_pages_columns_and_the_cursor_keeps_the_filters(api: Api, engine_result: EngineResult) -> None:
    columns = [_column(0, 0, index) for index in range(10)]
    run_id = queued_run(api)
    finish(api, run_id, report=_report(engine_result, columns))

    items, pages = _all_pages(api, api.ws(f"/runs/{run_id}/columns"), {"mappingStatus": "unmapped", "limit": "2"})

    assert [item["columnIndex"] for item in items] == [1, 2, 4, 5, 7, 8]
    assert pages == 3


def test_a_cursor_for_other_filters_or_tampered_is_422(api: Api, engine_result: EngineResult) -> None:
    from runs.dal.items import decode_cursor, encode_cursor

    run_id = queued_run(api)
    finish(api, run_id, report=_report(engine_result, [_column(0, 0, index) for index in range(4)]))
    path = api.ws(f"/runs/{run_id}/columns")
    link = api.call("GET", path, query={"limit": "1"}).headers["Link"]
    cursor = parse_qs(urlsplit(link[1 : link.index(">")]).query)["cursor"][0]
    mid_line = encode_cursor({**decode_cursor(cursor), "o": decode_cursor(cursor)["o"] + 5})

    other_filters = api.call("GET", path, query={"limit": "1", "cursor": cursor, "tableIndex": "0"})
    tampered = api.call("GET", path, query={"limit": "1", "cursor": mid_line})
    garbage = api.call("GET", path, query={"cursor": "not-a-cursor"})

    for response in (other_filters, tampered, garbage):
        assert response.status == 422, response.body
        assert response.json()["code"] == "INVALID_CURSOR"
