"""Engine throughput next to the I/O floor, on generated number-heavy and text-heavy workbooks.

`python -m bench.engine_bench [--sizes 10000,100000,1000000] [--workbooks members,contacts]` (from the
repo root, with layers/shared/python on PYTHONPATH) prints one table and merges its figures into
`bench/results.json` under the key "engine".

Workbooks (a title row, a header row, then the rows):
- members (number-heavy): member id, full name, e-mail, phone, join date, balance; about 2% messy.
- contacts (text-heavy): member number, first and last name, e-mail, phone, street, city, postcode,
  status, notes; every cell text, about 2% messy.

- floor: python-calamine reads every row, rustpy-xlsxwriter writes the same rows to a temp file
  (the fastest read/write pair available; the engine cannot beat it).
- values: only `normalizer.values` processing of the workbook's columns (typed as the fields they
  hold), in 10k-row chunks, on cells already read.
- engine: `normalizer.pipeline.process(input, output)` with the default configuration.

Each measurement runs in a fresh subprocess; seconds cover the work after imports, and peak RSS is
the child's ru_maxrss. Up to 100k rows each figure is the fastest of 3 runs. Generated workbooks
are cached in bench/out/ (gitignored).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
OUT_DIR = BENCH_DIR / "out"
RESULTS_PATH = BENCH_DIR / "results.json"
DEFAULT_SIZES = "10000,100000,1000000"
SHEET_NAME = "Members"
DEFAULT_WORKBOOKS = "members,contacts"
VALUES_CHUNK_ROWS = 10_000
SMALL_RUN_MAX_ROWS = 100_000
SMALL_RUN_REPEATS = 3
# Fields for the values-only measurement of the members workbook, in header order.
MEMBER_FIELDS: list[dict[str, Any]] = [
    {"name": "member_id", "type": "integer", "validators": [{"kind": "unique"}]},
    {"name": "full_name", "type": "string", "transforms": ["trim", "collapseWhitespace"]},
    {"name": "email", "type": "email", "transforms": ["trim", "lower"]},
    {"name": "phone", "type": "phone"},
    {"name": "joined", "type": "date"},
    {"name": "balance", "type": "number"},
]

_FIRST_NAMES = [
    "Ann",
    "Bob",
    "Chloé",
    "David",
    "Eve",
    "Fatima",
    "George",
    "Hana",
    "Ivan",
    "Jo",
    "Kai",
    "Lena",
]
_LAST_NAMES = [
    "Smith",
    "O'Neil",
    "García",
    "Nguyen",
    "Müller",
    "Kowalski",
    "Okafor",
    "Tanaka",
    "Rossi",
    "Brown",
]
_DOMAINS = ["example.com", "Mail.example.org", "members.example.co.uk", "EXAMPLE.net"]
_STREETS = ["Main Street", "Oak Avenue", "Rue de la Paix", "Königsallee", "Pine Road", "Station Lane"]
_CITIES = ["Springfield", "Montréal", "Düsseldorf", "Riverside", "Kraków", "Salem", "Fairview"]
_STATUSES = ["Active", "Lapsed", "Pending", "Honorary"]
_NOTES = [
    "",
    "renewed online",
    "paid by cheque at the spring meeting",
    "moved from the north branch in 2019",
    "prefers e-mail; no calls after 6pm",
    "volunteer",
]
# Fields for the values-only measurement of the contacts workbook, in header order.
CONTACT_FIELDS: list[dict[str, Any]] = [
    {"name": "member_id", "validators": [{"kind": "unique"}]},
    {"name": "first_name", "transforms": ["trim", "collapseWhitespace"]},
    {"name": "last_name", "transforms": ["trim", "collapseWhitespace"]},
    {"name": "email", "type": "email", "transforms": ["trim", "lower"]},
    {"name": "phone", "type": "phone"},
    {"name": "street"},
    {"name": "city"},
    {"name": "postcode"},
    {"name": "status", "type": "enum", "enum": _STATUSES},
    {"name": "notes"},
]


def _member_rows(rows: int) -> Iterator[dict[str, Any]]:
    """Deterministic member rows, about 2% of them messy (text numbers/dates, bad emails, blanks)."""
    rng = random.Random(rows)
    joined_start = datetime.date(2005, 1, 1)
    for index in range(rows):
        first, last = rng.choice(_FIRST_NAMES), rng.choice(_LAST_NAMES)
        joined = joined_start + datetime.timedelta(days=rng.randrange(7000))
        balance = round(rng.uniform(-200, 5000), 2)
        messy = rng.random()
        phone_digits = f"{rng.randrange(200, 999)}{rng.randrange(1000000, 9999999)}"
        row: dict[str, Any] = {
            "Member ID": 100_000 + index,
            "Full Name": f"{first} {last}" if messy > 0.01 else f"  {first}   {last} ",
            "Email": f"{first}.{last}{index}@{rng.choice(_DOMAINS)}".replace("'", ""),
            "Phone": (
                f"+1 ({phone_digits[:3]}) {phone_digits[3:6]}-{phone_digits[6:]}"
                if index % 2
                else f"{phone_digits[:3]}.{phone_digits[3:6]}.{phone_digits[6:]}"
            ),
            "Joined": joined,
            "Balance": balance,
        }
        if messy < 0.005:
            row["Email"] = f"{first} at example dot com"
        elif messy < 0.01:
            row["Joined"] = joined.strftime("%m/%d/%Y")
        elif messy < 0.015:
            row["Balance"] = f"${balance:,.2f}"
        elif messy < 0.02:
            row["Phone"] = None
        yield row


def _contact_rows(rows: int) -> Iterator[dict[str, Any]]:
    """Deterministic contact rows, all text, about 2% of them messy (stray spaces, bad e-mails,
    blanks, lower-case status)."""
    rng = random.Random(rows + 1)
    for index in range(rows):
        first, last = rng.choice(_FIRST_NAMES), rng.choice(_LAST_NAMES)
        messy = rng.random()
        row: dict[str, Any] = {
            "Member No": f"M-{200_000 + index}",
            "First Name": first,
            "Last Name": last,
            "Email": f"{first}.{last}{index}@{rng.choice(_DOMAINS)}".replace("'", ""),
            "Phone": f"+1 ({rng.randrange(200, 999)}) {rng.randrange(200, 999)}-{rng.randrange(1000, 9999)}",
            "Street": f"{rng.randrange(1, 999)} {rng.choice(_STREETS)}",
            "City": rng.choice(_CITIES),
            "Postcode": f"{rng.randrange(10000, 99999)}",
            "Status": rng.choice(_STATUSES),
            "Notes": rng.choice(_NOTES),
        }
        if messy < 0.005:
            row["Email"] = f"{first} at example dot com"
        elif messy < 0.01:
            row["First Name"] = f"  {first}  "
        elif messy < 0.015:
            row["Status"] = row["Status"].lower()
        elif messy < 0.02:
            row["Phone"] = None
        yield row


@dataclass(frozen=True)
class BenchWorkbook:
    """A kind of generated workbook: its header, its rows, and the fields its columns hold."""

    name: str
    headers: list[str]
    rows: Callable[[int], Iterator[dict[str, Any]]]
    fields: list[dict[str, Any]]


WORKBOOKS = {
    "members": BenchWorkbook(
        "members", ["Member ID", "Full Name", "Email", "Phone", "Joined", "Balance"], _member_rows, MEMBER_FIELDS
    ),
    "contacts": BenchWorkbook(
        "contacts",
        ["Member No", "First Name", "Last Name", "Email", "Phone", "Street", "City", "Postcode", "Status", "Notes"],
        _contact_rows,
        CONTACT_FIELDS,
    ),
}


def workbook_path(rows: int, workbook: str = "members") -> Path:
    """Where the cached generated workbook of that kind with `rows` data rows lives."""
    return OUT_DIR / f"{workbook}_{rows}.xlsx"


def generate_workbook(path: Path, rows: int, workbook: str = "members") -> Path:
    """Write an export of that kind: a title row, a header row, then `rows` rows (cached: an existing
    file is reused). Returns the path.
    """
    from rustpy_xlsxwriter import FastExcel

    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    kind = WORKBOOKS[workbook]
    title = f"{workbook.capitalize()} export — generated {datetime.date.today().isoformat()}, {rows:,} rows"
    partial = path.with_suffix(".partial.xlsx")
    FastExcel(str(partial)).sheet(
        SHEET_NAME, kind.rows(rows), header_row=1, merge_ranges=[(0, 0, 0, len(kind.headers) - 1, title)]
    ).save()
    partial.replace(path)
    return path


def _peak_rss_mb() -> float:
    # Linux: VmHWM is this program's own peak (ru_maxrss also counts the parent's pages at fork time).
    status = Path("/proc/self/status")
    if status.exists():
        return int(status.read_text().split("VmHWM:")[1].split()[0]) / 1024
    # ru_maxrss is in KiB on Linux and in bytes on macOS
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def _read_rows(path: Path) -> Iterator[list[Any]]:
    from python_calamine import CalamineWorkbook

    workbook = CalamineWorkbook.from_path(str(path))
    sheet = workbook.get_sheet_by_name(workbook.sheet_names[0])
    yield from sheet.iter_rows()


def _child_floor(path: Path) -> dict[str, Any]:
    from rustpy_xlsxwriter import FastExcel

    started = time.perf_counter()
    rows = _read_rows(path)
    next(rows)  # title row
    header = [str(cell) for cell in next(rows)]
    with tempfile.TemporaryDirectory() as scratch:
        FastExcel(os.path.join(scratch, "floor.xlsx")).sheet(
            SHEET_NAME, (dict(zip(header, row, strict=False)) for row in rows)
        ).save()
        seconds = time.perf_counter() - started
    return {"seconds": seconds, "peak_rss_mb": _peak_rss_mb()}


def _child_values(path: Path) -> dict[str, Any]:
    from normalizer.config import FieldSpec
    from normalizer.values import compile_field

    rows = _read_rows(path)
    next(rows)
    next(rows)
    columns: list[list[Any]] = [list(column) for column in zip(*rows, strict=False)]
    fields = WORKBOOKS[path.stem.rsplit("_", 1)[0]].fields
    processors = [compile_field(FieldSpec.model_validate(spec)) for spec in fields]
    row_count = len(columns[0])
    issues = 0
    started = time.perf_counter()
    for start in range(0, row_count, VALUES_CHUNK_ROWS):
        stop = min(start + VALUES_CHUNK_ROWS, row_count)
        row_numbers = range(start + 3, stop + 3)
        for processor, column in zip(processors, columns, strict=True):
            _output, chunk_issues, _valid = processor.process(column[start:stop], row_numbers)
            issues += len(chunk_issues)
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "peak_rss_mb": _peak_rss_mb(), "issues": issues}


def _child_engine(path: Path) -> dict[str, Any]:
    try:
        from normalizer.pipeline import process  # type: ignore[import-not-found, unused-ignore]
    except ImportError as missing:  # the pipeline (or a module it needs) is not written yet
        return {"available": False, "reason": f"cannot import normalizer.pipeline: {missing}"}
    with tempfile.TemporaryDirectory() as scratch:
        started = time.perf_counter()
        process(str(path), os.path.join(scratch, "engine.xlsx"), configuration=None)
        seconds = time.perf_counter() - started
    return {"available": True, "seconds": seconds, "peak_rss_mb": _peak_rss_mb()}


_CHILDREN = {"floor": _child_floor, "values": _child_values, "engine": _child_engine}


def _run_child(kind: str, path: Path) -> dict[str, Any]:
    """Run one measurement in a fresh interpreter and return its JSON result."""
    python_path = [str(REPO_ROOT / "layers" / "shared" / "python"), str(REPO_ROOT)]
    if os.environ.get("PYTHONPATH"):
        python_path.append(os.environ["PYTHONPATH"])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(python_path)}
    completed = subprocess.run(
        [sys.executable, "-m", "bench.engine_bench", "--child", kind, str(path)],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"{kind} measurement failed:\n{completed.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return result


def measure_floor(path: Path) -> dict[str, Any]:
    """I/O floor for a workbook: {"seconds", "peak_rss_mb"} of calamine read + rustpy write."""
    return _run_child("floor", path)


def measure_values(path: Path) -> dict[str, Any]:
    """Values-only processing of a workbook's six columns: {"seconds", "peak_rss_mb", "issues"}."""
    return _run_child("values", path)


def measure_engine(path: Path) -> dict[str, Any]:
    """The whole engine on a workbook: {"available": True, "seconds", "peak_rss_mb"}, or
    {"available": False, "reason"} when normalizer.pipeline cannot be imported or the run fails.
    """
    try:
        return _run_child("engine", path)
    except RuntimeError as failure:
        return {"available": False, "reason": str(failure)}


def _fastest(measure: Callable[[Path], dict[str, Any]], path: Path, repeats: int) -> dict[str, Any]:
    """The fastest of `repeats` runs (a shared machine only ever adds time), or the first failure."""
    runs = []
    for _ in range(repeats):
        run = measure(path)
        if "seconds" not in run:
            return run
        runs.append(run)
    return min(runs, key=lambda run: float(run["seconds"]))


def measure_size(rows: int, workbook: str = "members") -> dict[str, Any]:
    """Generate (or reuse) the workbook of that kind for `rows` and measure floor, values and engine
    on it (fastest of 3 runs up to 100k rows, one run above).
    """
    path = generate_workbook(workbook_path(rows, workbook), rows, workbook)
    repeats = SMALL_RUN_REPEATS if rows <= SMALL_RUN_MAX_ROWS else 1
    floor = _fastest(measure_floor, path, repeats)
    values = _fastest(measure_values, path, repeats)
    engine = _fastest(measure_engine, path, repeats)
    result: dict[str, Any] = {
        "workbook": workbook,
        "rows": rows,
        "floor_seconds": round(floor["seconds"], 3),
        "floor_peak_rss_mb": round(floor["peak_rss_mb"], 1),
        "values_seconds": round(values["seconds"], 3),
        "engine_available": engine["available"],
    }
    if not engine["available"]:
        result["engine_unavailable_reason"] = engine["reason"]
    if engine["available"]:
        result |= {
            "engine_seconds": round(engine["seconds"], 3),
            "engine_peak_rss_mb": round(engine["peak_rss_mb"], 1),
            "engine_rows_per_second": round(rows / engine["seconds"]),
            "ratio_engine_to_floor": round(engine["seconds"] / floor["seconds"], 2),
        }
    return result


def format_table(results: list[dict[str, Any]]) -> str:
    """The results as one fixed-width text table."""
    header = ("workbook", "rows", "floor s", "floor MB", "values s", "engine s", "engine MB", "engine rows/s", "ratio")
    lines = ["{:<9} {:>9} {:>8} {:>9} {:>9} {:>9} {:>10} {:>14} {:>6}".format(*header)]
    for result in results:
        engine = (
            (
                f"{result['engine_seconds']:.2f}",
                f"{result['engine_peak_rss_mb']:.0f}",
                f"{result['engine_rows_per_second']:,}",
                f"{result['ratio_engine_to_floor']:.2f}",
            )
            if result["engine_available"]
            else ("n/a", "n/a", "n/a", "n/a")
        )
        lines.append(
            f"{result['workbook']:<9} {result['rows']:>9,} "
            f"{result['floor_seconds']:>8.2f} {result['floor_peak_rss_mb']:>9.0f} "
            f"{result['values_seconds']:>9.3f} {engine[0]:>9} {engine[1]:>10} {engine[2]:>14} {engine[3]:>6}"
        )
    return "\n".join(lines)


def write_results(results: list[dict[str, Any]], path: Path = RESULTS_PATH) -> None:
    """Merge the results into the JSON file under "engine", keeping other benchmarks' keys."""
    existing: dict[str, Any] = {}
    if path.exists():
        try:
            existing = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError:
            existing = {}
    existing["engine"] = {
        "measured_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "python": sys.version.split()[0],
        "cpu_count": os.cpu_count(),
        "sizes": results,
    }
    path.write_text(json.dumps(existing, indent=2) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", default=DEFAULT_SIZES, help="comma-separated row counts")
    parser.add_argument("--workbooks", default=DEFAULT_WORKBOOKS, help=f"comma-separated, of {', '.join(WORKBOOKS)}")
    parser.add_argument("--child", choices=sorted(_CHILDREN), help=argparse.SUPPRESS)
    parser.add_argument("path", nargs="?", help=argparse.SUPPRESS)
    arguments = parser.parse_args(argv)
    if arguments.child:
        print(json.dumps(_CHILDREN[arguments.child](Path(arguments.path))))
        return 0
    sizes = [int(size.replace("_", "")) for size in arguments.sizes.split(",") if size.strip()]
    workbooks = [name.strip() for name in arguments.workbooks.split(",") if name.strip()]
    unknown = sorted(set(workbooks) - set(WORKBOOKS))
    if unknown:
        parser.error(f"unknown workbook(s): {', '.join(unknown)}")
    results = []
    for rows in sizes:
        for workbook in workbooks:
            results.append(measure_size(rows, workbook))
            print(f"measured {workbook} {rows:,} rows", file=sys.stderr, flush=True)
    if not results[-1]["engine_available"]:
        print(f"engine: not available ({results[-1]['engine_unavailable_reason'].strip()})")
    print(format_table(results))
    write_results(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
