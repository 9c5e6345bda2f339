"""The engine's command line: `python -m normalizer process INPUT --output OUT.xlsx [...]`.

Exit status: 0 when the run succeeded, 1 when it failed or was cancelled (the report is still
written), 2 on a usage error (bad arguments, an unreadable or invalid configuration file).
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import IO, Any, NoReturn

from pydantic import ValidationError

from normalizer.config import Configuration

EXIT_SUCCEEDED = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


class _ArgumentParser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (also what `--help` shows)."""
    parser = _ArgumentParser(prog="python -m normalizer", description="Normalize messy spreadsheets.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_ArgumentParser)
    run = commands.add_parser("process", help="normalize one workbook and report on it")
    run.add_argument("input", type=Path, help="the input workbook (.xlsx, .xlsm, .xls or .csv)")
    run.add_argument("--output", type=Path, required=True, help="where to write the normalized .xlsx")
    run.add_argument("--config", type=Path, help="a configuration JSON file (default: the built-in one)")
    run.add_argument("--report", type=Path, help="write the report JSON here (default: standard output)")
    run.add_argument("--events", type=Path, help="write events here, one JSON record per line")
    run.add_argument("--sheet", action="append", dest="sheets", metavar="NAME", help="process this sheet (repeatable)")
    run.add_argument("--active-sheet-only", action="store_true", help="process only the active sheet")
    return parser


def load_configuration(path: Path) -> Configuration:
    """Read and validate a configuration file.

    Raises:
        ValueError: the file cannot be read, is not JSON, or is not a valid configuration; the message
            lists each error as `path: message`.
    """
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as error:
        raise ValueError(f"cannot read configuration {str(path)!r}: {error.strerror or error}") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(
            f"configuration {str(path)!r} is not valid JSON: {error.msg} (line {error.lineno}, column {error.colno})"
        ) from None
    try:
        return Configuration.model_validate(document)
    except ValidationError as error:
        lines = [
            f"  {'.'.join(str(part) for part in detail['loc']) or '(root)'}: {detail['msg']}"
            for detail in error.errors()
        ]
        raise ValueError(f"configuration {str(path)!r} is invalid:\n" + "\n".join(lines)) from None


class _EventLog:
    """Writes each event as one JSON line."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream

    def __call__(self, name: str, level: str, message: str, data: dict[str, Any]) -> None:
        record = {
            "timestamp": datetime.datetime.now(datetime.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": level,
            "event": name,
            "message": message,
            "data": data,
        }
        self._stream.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
        self._stream.flush()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = build_parser()
    arguments = parser.parse_args(argv)
    if arguments.sheets and arguments.active_sheet_only:
        parser.error("--sheet and --active-sheet-only cannot be used together")
    configuration = None
    if arguments.config is not None:
        try:
            configuration = load_configuration(arguments.config)
        except ValueError as error:
            print(f"python -m normalizer: error: {error}", file=sys.stderr)
            return EXIT_USAGE
    from normalizer.pipeline import process

    with ExitStack() as files:
        try:
            # both are opened before the run, so a bad path is a usage error and no work is wasted
            report_stream = (
                files.enter_context(arguments.report.open("w", encoding="utf-8")) if arguments.report else None
            )
            events_stream = (
                files.enter_context(arguments.events.open("w", encoding="utf-8")) if arguments.events else None
            )
        except OSError as error:
            print(f"python -m normalizer: error: cannot write {error.filename}: {error.strerror}", file=sys.stderr)
            return EXIT_USAGE
        report = process(
            arguments.input,
            arguments.output,
            configuration,
            sheet_names=arguments.sheets,
            active_sheet_only=arguments.active_sheet_only,
            on_event=_EventLog(events_stream) if events_stream is not None else None,
        )
        document = json.dumps(report.to_json_dict(), indent=2, ensure_ascii=False)
        if report_stream is not None:
            report_stream.write(document + "\n")
        else:
            print(document)
    if report.status == "succeeded":
        metrics = report.metrics
        # name the file the run wrote (it always writes one when it succeeds), never the one asked for
        written = f"→ {report.output.path}" if report.output is not None else "no output written"
        print(
            f"succeeded: {metrics.table_count} table(s), {metrics.row_count_total} rows, "
            f"{metrics.validation_issues_total} issues {written}",
            file=sys.stderr,
        )
        return EXIT_SUCCEEDED
    failure = report.failure
    detail = f"{failure.code} in {failure.stage}: {failure.message}" if failure else "cancelled"
    print(f"{report.status}: {detail}", file=sys.stderr)
    return EXIT_FAILED
