"""The report's wire shape: camelCase keys, every documented key present, null when unknown."""

from __future__ import annotations

from normalizer.pipeline import process
from normalizer.report import ColumnResult, Report

METRIC_KEYS = {
    "evaluationOutcome", "evaluationFindingsTotal", "evaluationFindingsInfo", "evaluationFindingsWarning",
    "evaluationFindingsError", "validationIssuesTotal", "validationIssuesInfo", "validationIssuesWarning",
    "validationIssuesError", "validationMaxSeverity", "workbookCount", "sheetCount", "tableCount",
    "rowCountTotal", "rowCountEmpty", "columnCountTotal", "columnCountEmpty", "columnCountMapped",
    "columnCountUnmapped", "fieldCountExpected", "fieldCountDetected", "fieldCountNotDetected",
    "cellCountTotal", "cellCountNonEmpty", "durationMs", "issuesByCode",
}  # fmt: skip
COLUMN_KEYS = {
    "workbookIndex", "workbookName", "sheetIndex", "sheetName", "tableIndex", "columnIndex", "headerRaw",
    "headerNormalized", "nonEmptyCells", "validCells", "mappingStatus", "mappedField", "mappingScore",
    "mappingMethod", "unmappedReason", "candidates",
}  # fmt: skip


def test_succeeded_report_has_every_documented_key_in_camel_case(make_workbook, tmp_path):
    # Given a processed workbook with a mapped and an unmapped column
    path = make_workbook({"Members": [["Email", "Notes"], ["ann@example.com", "hi"]], "Blank": []})
    # When its report is dumped for the wire
    document = process(path, tmp_path / "out.xlsx").to_json_dict()
    # Then every documented key is present, with nulls where a value does not apply
    assert set(document) == {
        "schemaVersion",
        "status",
        "failure",
        "metrics",
        "fields",
        "columns",
        "sheets",
        "findings",
        "output",
    }
    assert set(document["metrics"]) == METRIC_KEYS
    assert all(set(column) == COLUMN_KEYS for column in document["columns"])
    assert set(document["fields"][0]) == {
        "field", "label", "detected", "bestMappingScore", "validCells", "occurrencesTables",
        "occurrencesColumns", "sourceHeaders",
    }  # fmt: skip
    assert set(document["sheets"][0]) == {"index", "name", "visible", "isActive", "processed", "tables"}
    assert set(document["sheets"][0]["tables"][0]) == {
        "index", "region", "headerRowStart", "headerRowCount", "dataRowStart", "dataRowCount", "columnCount",
        "headerless", "outputSheet",
    }  # fmt: skip
    assert set(document["findings"][0]) == {"code", "severity", "message", "sheetName", "tableIndex", "field"}
    assert set(document["output"]) == {"path", "filename", "sizeBytes", "sheetNames", "rowCount", "issueCount"}
    notes = next(column for column in document["columns"] if column["headerRaw"] == "Notes")
    assert (notes["mappedField"], notes["mappingScore"], notes["mappingMethod"], notes["validCells"]) == (
        None, None, None, None,
    )  # fmt: skip


def test_failed_report_keeps_the_shape_with_unknown_counts_null(tmp_path):
    # Given a run that fails
    document = process(tmp_path / "missing.xlsx", tmp_path / "out.xlsx").to_json_dict()
    # Then the failure is described and the counts it never reached are null
    assert document["failure"] == {
        "code": "INPUT_MISSING",
        "stage": "prepare",
        "message": document["failure"]["message"],
    }
    assert set(document["metrics"]) == METRIC_KEYS
    assert document["metrics"]["rowCountTotal"] is None
    assert document["metrics"]["evaluationOutcome"] == "failure"
    assert (document["output"], document["columns"], document["fields"]) == (None, [], [])


def test_report_round_trips_through_json_with_aliases_or_names(make_workbook, tmp_path):
    # Given a report
    path = make_workbook({"Members": [["Email"], ["ann@example.com"]]})
    report = process(path, tmp_path / "out.xlsx")
    # When it is dumped to camelCase JSON and read back
    again = Report.model_validate_json(report.model_dump_json(by_alias=True))
    # Then nothing is lost, and snake_case names are accepted too
    assert again == report
    column = report.columns[0]
    assert ColumnResult.model_validate(column.model_dump()) == column
