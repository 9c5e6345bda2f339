"""The command line: exit codes, report and events files, configuration errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from normalizer.cli import EXIT_FAILED, EXIT_SUCCEEDED, EXIT_USAGE, main

REPO_ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def members(make_workbook) -> Path:
    return make_workbook({"Members": [["Email", "First Name"], ["ann@example.com", "Ann"]]})


def test_successful_run_exits_0_and_writes_report_and_events(members, tmp_path):
    # Given a good workbook
    output, report, events = tmp_path / "out.xlsx", tmp_path / "report.json", tmp_path / "events.ndjson"
    # When the CLI processes it
    status = main(["process", str(members), "--output", str(output), "--report", str(report), "--events", str(events)])
    # Then it exits 0 with the output, a camelCase report and one JSON event per line
    assert status == EXIT_SUCCEEDED
    assert output.exists()
    document = json.loads(report.read_text())
    assert (document["status"], document["schemaVersion"]) == ("succeeded", 1)
    records = [json.loads(line) for line in events.read_text().splitlines()]
    assert {"timestamp", "level", "event", "message", "data"} <= set(records[0])
    assert "run.output" in [record["event"] for record in records]


def test_failed_run_exits_1_and_still_writes_the_report(tmp_path):
    # Given an input that does not exist
    report = tmp_path / "report.json"
    # When the CLI processes it
    status = main(
        ["process", str(tmp_path / "missing.xlsx"), "--output", str(tmp_path / "o.xlsx"), "--report", str(report)]
    )
    # Then it exits 1 and the report says why
    assert status == EXIT_FAILED
    assert json.loads(report.read_text())["failure"]["code"] == "INPUT_MISSING"


def test_missing_output_option_is_a_usage_error(members, capsys):
    # Given no --output
    # When the CLI runs, Then argparse exits 2
    with pytest.raises(SystemExit) as exit_info:
        main(["process", str(members)])
    assert exit_info.value.code == EXIT_USAGE
    assert "--output" in capsys.readouterr().err


def test_invalid_configuration_exits_2_listing_error_paths(members, tmp_path, capsys):
    # Given a configuration with a bad field name and an unknown setting
    config = tmp_path / "config.json"
    config.write_text(
        json.dumps({"schemaVersion": 1, "name": "x", "fields": [{"name": "Bad Name"}], "settings": {"nope": 1}})
    )
    # When the CLI runs with it
    status = main(["process", str(members), "--output", str(tmp_path / "o.xlsx"), "--config", str(config)])
    # Then it exits 2 and names each error's path
    error = capsys.readouterr().err
    assert status == EXIT_USAGE
    assert "fields.0.name" in error and "settings.nope" in error
    assert not (tmp_path / "o.xlsx").exists()


def test_configuration_that_is_not_json_exits_2(members, tmp_path, capsys):
    # Given a configuration file that is not JSON
    config = tmp_path / "config.json"
    config.write_text("{not json")
    # When the CLI runs with it
    status = main(["process", str(members), "--output", str(tmp_path / "o.xlsx"), "--config", str(config)])
    # Then it exits 2 with a clear message
    assert status == EXIT_USAGE
    assert "not valid JSON" in capsys.readouterr().err


def test_sheet_and_active_sheet_only_together_are_a_usage_error(members, tmp_path):
    # Given both sheet options
    arguments = ["process", str(members), "--output", str(tmp_path / "o.xlsx"), "--sheet", "Members"]
    # When the CLI runs, Then it exits 2
    with pytest.raises(SystemExit) as exit_info:
        main([*arguments, "--active-sheet-only"])
    assert exit_info.value.code == EXIT_USAGE


def test_python_dash_m_normalizer_runs_the_cli(members, tmp_path):
    # Given the package on the path
    output = tmp_path / "out.xlsx"
    # When `python -m normalizer process` runs in a fresh process
    result = subprocess.run(
        [sys.executable, "-m", "normalizer", "process", str(members), "--output", str(output), "--sheet", "Members"],
        cwd=REPO_ROOT,
        env={"PYTHONPATH": str(REPO_ROOT / "layers" / "shared" / "python")},
        capture_output=True,
        text=True,
        check=False,
    )
    # Then it exits 0 and prints the report to standard output
    assert result.returncode == EXIT_SUCCEEDED, result.stderr
    assert json.loads(result.stdout)["output"]["sheetNames"] == ["Members", "Issues"]


def printed_paths(text: str) -> list[Path]:
    """Every absolute path named after an arrow in the CLI's messages."""
    return [Path(part.split()[0]) for part in text.split("→ ")[1:]]


def test_a_workbook_without_a_table_still_gets_its_output_and_every_printed_path_exists(
    make_workbook, tmp_path, capsys
):
    # Given a workbook that holds only instructions
    source = make_workbook({"Read me": [["How to use this template"], ["1. Enter one member per row."]]})
    output = tmp_path / "out.xlsx"
    # When the CLI processes it
    status = main(["process", str(source), "--output", str(output), "--report", str(tmp_path / "report.json")])
    # Then it succeeds, names its output, and every file it names exists
    error = capsys.readouterr().err
    assert status == EXIT_SUCCEEDED
    assert printed_paths(error) == [output]
    assert all(path.exists() for path in printed_paths(error))


def test_a_failed_run_names_no_output(tmp_path, capsys):
    # Given an input that does not exist
    output = tmp_path / "o.xlsx"
    # When the CLI processes it
    status = main(["process", str(tmp_path / "missing.xlsx"), "--output", str(output)])
    # Then it exits 1 without naming (or leaving) an output
    assert status == EXIT_FAILED
    assert printed_paths(capsys.readouterr().err) == []
    assert not output.exists()


def test_a_report_path_that_cannot_be_written_is_a_usage_error_before_any_work(members, tmp_path, capsys):
    # Given a report path in a folder that does not exist
    output = tmp_path / "o.xlsx"
    # When the CLI runs
    status = main(["process", str(members), "--output", str(output), "--report", str(tmp_path / "no" / "r.json")])
    # Then it exits 2, says which file it cannot write, and processed nothing
    assert status == EXIT_USAGE
    assert "cannot write" in capsys.readouterr().err
    assert not output.exists()
