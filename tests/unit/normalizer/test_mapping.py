"""Column mapping on real generated workbooks: scores, methods, one-to-one assignment, reasons."""

from __future__ import annotations

from normalizer.config import DEFAULT_CONFIGURATION
from normalizer.mapping import HeaderVocabulary, compact_header, map_columns, normalize_header
from normalizer.values import value_evidence

EMAILS = [f"person{i}@example.com" for i in range(8)]


def table(headers: list[str | None], *columns: list[object]) -> list[list[object]]:
    return [headers, *[list(row) for row in zip(*columns, strict=True)]]


def test_typo_emial_maps_to_email(make_workbook, validate, column):
    # Given a column headed "Emial" holding e-mail addresses
    path = make_workbook({"S": table(["Emial", "Notes"], EMAILS, ["x"] * 8)})
    # When the engine maps it
    mapping = column(validate(path), "Emial")
    # Then it maps to email by a fuzzy header confirmed by the values
    assert (mapping.mapping_status, mapping.mapped_field, mapping.mapping_method) == ("mapped", "email", "combined")
    assert 0.8 < mapping.mapping_score < 1.0


def test_typo_alone_maps_by_header_when_the_values_say_nothing(make_workbook, validate, column, configuration):
    # Given a plain text field and a column headed with a typo of its label
    config = configuration({"name": "surname", "label": "Surname"})
    path = make_workbook({"S": table(["Surename"], ["Smith", "Jones", "Brown"])})
    # When the engine maps it
    mapping = column(validate(path, config), "Surename")
    # Then the fuzzy header alone maps it
    assert (mapping.mapped_field, mapping.mapping_method) == ("surname", "header_fuzzy")


def test_e_mail_address_maps_to_email_exactly(make_workbook, validate, column):
    # Given a column headed "E-mail Address"
    path = make_workbook({"S": table(["E-mail Address"], EMAILS)})
    # When the engine maps it
    mapping = column(validate(path), "E-mail Address")
    # Then it is an exact header match scoring 1.0, and its normalized header is reported
    assert (mapping.mapped_field, mapping.mapping_score, mapping.mapping_method) == ("email", 1.0, "header_exact")
    assert mapping.header_normalized == "e_mail_address"


def test_email_consent_with_yes_no_values_does_not_map_to_email(make_workbook, validate, column):
    # Given a column headed "Email consent" holding yes/no
    path = make_workbook({"S": table(["Full Name", "Email consent"], ["Ann", "Bob"] * 4, ["yes", "no"] * 4)})
    # When the engine maps it
    mapping = column(validate(path), "Email consent")
    # Then the values veto the header: unmapped, below the threshold, email a weak candidate
    assert (mapping.mapping_status, mapping.unmapped_reason) == ("unmapped", "below_threshold")
    assert mapping.candidates[0].field == "email"
    assert mapping.candidates[0].score < 0.4


def test_contact_column_full_of_emails_maps_to_email(make_workbook, validate, column):
    # Given a column headed "Contact" holding e-mail addresses
    path = make_workbook({"S": table(["Full Name", "Contact"], ["Ann", "Bob"] * 4, EMAILS)})
    # When the engine maps it
    mapping = column(validate(path), "Contact")
    # Then the values map it to email
    assert (mapping.mapped_field, mapping.mapping_method) == ("email", "values")
    assert mapping.mapping_score >= 0.8


def test_dates_under_an_unknown_header_do_not_map_to_date_of_birth(make_workbook, validate, column):
    # Given a column of dates headed "Joined" (dates alone say little)
    path = make_workbook({"S": table(["Joined"], [f"2020-01-{day:02d}" for day in range(1, 9)])})
    # When the engine maps it
    mapping = column(validate(path), "Joined")
    # Then it stays unmapped, below the threshold, date_of_birth only a weak candidate
    assert (mapping.mapping_status, mapping.unmapped_reason) == ("unmapped", "below_threshold")
    assert 0 < next(c.score for c in mapping.candidates if c.field == "date_of_birth") < 0.6


def test_equal_scores_go_to_the_leftmost_column(make_workbook, validate, column):
    # Given two columns both headed "Email" holding e-mails
    path = make_workbook({"S": table(["Email", "Email "], EMAILS, EMAILS)})
    # When the engine maps them
    report = validate(path)
    left, right = report.columns
    # Then the leftmost one gets email and the other loses it as a duplicate
    assert (left.mapped_field, left.mapping_score) == ("email", 1.0)
    assert (right.mapping_status, right.unmapped_reason) == ("unmapped", "duplicate_field")
    assert right.candidates[0].field == "email"


def test_higher_score_wins_a_field_over_a_leftmost_column(make_workbook, validate):
    # Given a fuzzy "Emial" column left of an exact "Email" column
    path = make_workbook({"S": table(["Emial", "Email"], EMAILS, EMAILS)})
    # When the engine maps them
    left, right = validate(path).columns
    # Then the exact match wins and the fuzzy one is a duplicate
    assert (right.mapped_field, left.unmapped_reason) == ("email", "duplicate_field")


def test_empty_header_column_is_unmapped_with_reason_empty_header(make_workbook, validate):
    # Given a column with no header holding free text
    path = make_workbook({"S": table(["Full Name", None], ["Ann", "Bob"] * 4, ["moved", "new"] * 4)})
    # When the engine maps it
    report = validate(path)
    empty = next(c for c in report.columns if c.column_index == 1)
    # Then it is unmapped for its empty header
    assert (empty.header_raw, empty.unmapped_reason, empty.mapping_status) == (None, "empty_header", "unmapped")


def test_column_without_any_evidence_has_reason_no_signal(make_workbook, validate, column):
    # Given a "Notes" column of free text
    path = make_workbook({"S": table(["Email", "Notes"], EMAILS, ["moved", "new"] * 4)})
    # When the engine maps it
    mapping = column(validate(path), "Notes")
    # Then it is unmapped with no candidates
    assert (mapping.unmapped_reason, mapping.candidates) == ("no_signal", [])


def test_candidates_are_the_top_three_by_score(make_workbook, validate, column):
    # Given a column headed "Name" (full_name exactly, first/last name partly)
    path = make_workbook({"S": table(["Name"], ["Ann Smith", "Bob Jones", "Eve Brown"])})
    # When the engine maps it
    mapping = column(validate(path), "Name")
    # Then it reports at most three candidates, best first, the mapped field on top
    scores = [candidate.score for candidate in mapping.candidates]
    assert len(mapping.candidates) == 3
    assert scores == sorted(scores, reverse=True)
    assert mapping.candidates[0].field == "full_name" and scores[0] == 1.0


def test_mapping_threshold_setting_decides_what_maps(make_workbook, validate, column, configuration):
    # Given a weak header match ("Member" for member_id) under a low and a high threshold
    path = make_workbook({"S": table(["Member"], ["A1", "A2", "A3"])})
    member = {"name": "member_id", "label": "Member ID", "synonyms": ["member number"]}
    # When the engine maps it with each threshold
    low = column(validate(path, configuration(member, mapping_threshold=0.2)), "Member")
    high = column(validate(path, configuration(member, mapping_threshold=0.9)), "Member")
    # Then only the low threshold maps it
    assert low.mapped_field == "member_id"
    assert (high.mapped_field, high.unmapped_reason) == (None, "below_threshold")


def test_value_pattern_maps_a_column_on_its_values(make_workbook, validate, column, configuration):
    # Given a field with a valuePattern and an unlabelled column of matching codes
    config = configuration({"name": "sku", "valuePattern": r"^SKU-\d{4}$"})
    path = make_workbook({"S": table(["Code"], [f"SKU-{1000 + i}" for i in range(6)])})
    # When the engine maps it
    mapping = column(validate(path, config), "Code")
    # Then the values map it
    assert (mapping.mapped_field, mapping.mapping_method) == ("sku", "values")


def test_header_normalization_ignores_case_punctuation_and_spacing():
    # Given spellings of the same header
    spellings = ["E-mail Address", "email address", "EmailAddress", "E_MAIL_ADDRESS", " e.mail  address "]
    # When they are compacted
    compacted = {compact_header(text) for text in spellings}
    # Then they all compare equal, and the report form keeps words apart
    assert compacted == {"emailaddress"}
    assert normalize_header("First_Name") == "first_name"


def test_each_field_maps_to_at_most_one_column_per_table():
    # Given three columns that all look like e-mail
    vocabulary = HeaderVocabulary(DEFAULT_CONFIGURATION.fields)
    samples = [EMAILS, EMAILS, EMAILS]
    # When they are mapped
    mappings = map_columns(["Email", "E-mail", "Contact"], samples, vocabulary, 0.6, value_evidence)
    # Then only the first maps to email; the others are duplicates
    assert [m.field for m in mappings] == ["email", None, None]
    assert [m.unmapped_reason for m in mappings] == [None, "duplicate_field", "duplicate_field"]
