"""End to end: the same people exported from a German, a French and a US spreadsheet, each writing
dates, amounts and phones its own way, normalize to the same output values (issue 7)."""

from __future__ import annotations

import csv
import datetime
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from normalizer.config import Configuration
from normalizer.pipeline import process
from normalizer.report import Report

DT = datetime.datetime
FIELDS: list[dict[str, Any]] = [
    {"name": "full_name", "synonyms": ["Name", "Nom"]},
    {"name": "email", "type": "email", "synonyms": ["E-Mail", "Courriel"]},
    {"name": "phone", "type": "phone", "synonyms": ["Telefon", "Téléphone"]},
    {"name": "date_of_birth", "type": "date", "synonyms": ["Geburtsdatum", "Date de naissance", "Date of birth"]},
    {"name": "balance", "type": "number", "synonyms": ["Saldo", "Solde"]},
]

# The same five people; ambiguous values on purpose: 1 Feb 1975, 4 Mar 2001, 10 Nov 1999 and 1234.
GERMAN_EXPORT = [
    ["Name", "E-Mail", "Telefon", "Geburtsdatum", "Saldo"],
    ["Anna Müller", "anna.mueller@example.de", "030 1234567", "31.12.1980", "1.234,56 €"],
    ["Jean Dupont", "jean.dupont@example.fr", "+33 1 42 68 53 00", "01.02.1975", "-12,50 €"],
    ["Mary Smith", "mary.smith@example.com", "001 212 555 0100", "05.05.1990", "1.000.000,00 €"],
    ["Kenji Tanaka", "kenji.tanaka@example.jp", "+81 3-1234-5678", "04.03.2001", "0,99 €"],
    ["Lena Schulz", "lena.schulz@example.de", "0171 2345678", "10.11.1999", "1.234 €"],
]
FRENCH_EXPORT = [
    ["Nom", "Courriel", "Téléphone", "Date de naissance", "Solde"],
    ["Anna Müller", "anna.mueller@example.de", "+49 30 1234567", "31/12/1980", "1\u202f234,56\u00a0€"],
    ["Jean Dupont", "jean.dupont@example.fr", "01 42 68 53 00", "01/02/1975", "-12,50\u00a0€"],
    ["Mary Smith", "mary.smith@example.com", "+1 212 555 0100", "05/05/1990", "1\u202f000\u202f000,00\u00a0€"],
    ["Kenji Tanaka", "kenji.tanaka@example.jp", "+81 3 1234 5678", "04/03/2001", "0,99\u00a0€"],
    ["Lena Schulz", "lena.schulz@example.de", "+49 171 2345678", "10/11/1999", "1\u202f234\u00a0€"],
]
US_EXPORT = [
    ["Name", "Email", "Phone", "Date of birth", "Balance"],
    ["Anna Müller", "anna.mueller@example.de", "+49 30 1234567", "12/31/1980", "$1,234.56"],
    ["Jean Dupont", "jean.dupont@example.fr", "+33 1 42 68 53 00", "02/01/1975", "-$12.50"],
    ["Mary Smith", "mary.smith@example.com", "(212) 555-0100", "05/05/1990", "$1,000,000.00"],
    ["Kenji Tanaka", "kenji.tanaka@example.jp", "011 81 3 1234 5678", "03/04/2001", "$0.99"],
    ["Lena Schulz", "lena.schulz@example.de", "+49 171 2345678", "11/10/1999", "$1,234"],
]
EXPECTED_ROWS = [
    ["full_name", "email", "phone", "date_of_birth", "balance"],
    ["Anna Müller", "anna.mueller@example.de", "+49301234567", DT(1980, 12, 31), 1234.56],
    ["Jean Dupont", "jean.dupont@example.fr", "+33142685300", DT(1975, 2, 1), -12.5],
    ["Mary Smith", "mary.smith@example.com", "+12125550100", DT(1990, 5, 5), 1000000.0],
    ["Kenji Tanaka", "kenji.tanaka@example.jp", "+81312345678", DT(2001, 3, 4), 0.99],
    ["Lena Schulz", "lena.schulz@example.de", "+491712345678", DT(1999, 11, 10), 1234.0],
]


def locale_configuration(region: str) -> Configuration:
    return Configuration.model_validate(
        {
            "schemaVersion": 1,
            "name": f"members-{region.lower()}",
            "fields": FIELDS,
            "settings": {"dateOrder": "auto", "decimalSeparator": "auto", "defaultRegion": region},
        }
    )


def write_csv(path: Path, rows: list[list[str]], *, delimiter: str, encoding: str) -> Path:
    with path.open("w", encoding=encoding, newline="") as file:
        csv.writer(file, delimiter=delimiter).writerows(rows)
    return path


def normalize(path: Path, region: str, output: Path) -> Report:
    report = process(path, output, locale_configuration(region))
    assert report.status == "succeeded", report.failure
    return report


def test_german_french_and_us_exports_of_the_same_people_normalize_to_the_same_values(
    tmp_path: Path, make_workbook: Callable[..., Path], read_back: Callable[..., list[list[Any]]]
) -> None:
    # Given a German CSV (cp1252, semicolons), a French workbook of text cells and a US CSV, each with
    # the same people's dates, amounts and phones written its own way, and each run with its region
    german = write_csv(tmp_path / "mitglieder.csv", GERMAN_EXPORT, delimiter=";", encoding="cp1252")
    french = make_workbook({"Membres": FRENCH_EXPORT}, name="membres.xlsx")
    american = write_csv(tmp_path / "members.csv", US_EXPORT, delimiter=",", encoding="utf-8")
    # When each is normalized with `auto` dates and decimals and its own default region
    reports = {
        "mitglieder": normalize(german, "DE", tmp_path / "de.xlsx"),
        "Membres": normalize(french, "FR", tmp_path / "fr.xlsx"),
        "members": normalize(american, "US", tmp_path / "us.xlsx"),
    }
    # Then every value is valid and the three outputs hold exactly the same rows
    for sheet, report in reports.items():
        assert report.metrics.validation_issues_total == 0, sheet
        assert [column.mapped_field for column in report.columns] == [field["name"] for field in FIELDS]
    assert read_back(tmp_path / "de.xlsx", "mitglieder") == EXPECTED_ROWS
    assert read_back(tmp_path / "fr.xlsx", "Membres") == EXPECTED_ROWS
    assert read_back(tmp_path / "us.xlsx", "members") == EXPECTED_ROWS


def test_a_french_column_whose_first_day_first_date_comes_after_its_first_chunk_flags_it_instead_of_guessing(
    tmp_path: Path, make_workbook: Callable[..., Path], read_back: Callable[..., list[list[Any]]]
) -> None:
    # Given a French export whose first 600 birth dates are all ambiguous, then one that is day-first
    rows: list[list[Any]] = [["Nom", "Date de naissance"]]
    rows += [[f"Membre {index}", "01/02/1975"] for index in range(600)]
    rows.append(["Anna Müller", "31/12/1980"])
    path = make_workbook({"Membres": rows}, name="membres.xlsx")
    # When it is normalized with `auto`
    report = process(path, tmp_path / "out.xlsx", locale_configuration("FR"))
    # Then the ambiguous dates were read month-first (the column showed no order when they were
    # written) and the late day-first date is an issue that says so, kept as text: nothing is
    # silently read two ways
    output = read_back(tmp_path / "out.xlsx", "Membres")
    assert {row[3] for row in output[1:601]} == {DT(1975, 1, 2)}
    assert output[601][3] == "31/12/1980"
    assert report.metrics.issues_by_code == {"invalid_date": 1}
    issues = read_back(tmp_path / "out.xlsx", "Issues")
    assert issues[1][1:6] == [602, "B", "date_of_birth", "31/12/1980", "invalid_date"]
    assert issues[1][6].startswith("Can only be read day-first (1980-12-31), but this column's ambiguous dates")


def test_a_configuration_with_an_unknown_region_is_refused_before_any_run() -> None:
    settings = {"defaultRegion": "UK"}
    with pytest.raises(ValidationError) as raised:
        Configuration.model_validate({"schemaVersion": 1, "name": "x", "fields": FIELDS, "settings": settings})
    [error] = raised.value.errors()
    assert error["loc"] == ("settings", "defaultRegion")
    assert "e.g. GB, not UK" in error["msg"]
