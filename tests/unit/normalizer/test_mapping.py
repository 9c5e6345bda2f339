"""Column mapping on real generated workbooks: scores, methods, one-to-one assignment, reasons."""

from __future__ import annotations

import datetime

import pytest

from normalizer.config import DEFAULT_CONFIGURATION, FieldSpec
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


# --- header matching: short forms, parts, inflections, typos, head words ---------------------------------

DEFAULT_VOCABULARY = HeaderVocabulary(DEFAULT_CONFIGURATION.fields)
BIRTH_DATES = [datetime.date(1980 + i, 1 + i, 10 + i) for i in range(6)]
PHONES = ["(416) 555-0123", "+1 212 555 0199", "416-555-0144", "+44 20 7946 0958", "(905) 555-0101", "647.555.0110"]


def mapped(headers: list[str | None], samples: list[list[object]], fields=DEFAULT_CONFIGURATION.fields, threshold=0.6):
    """The mappings of one table's columns under the given fields."""
    return map_columns(headers, samples, HeaderVocabulary(fields), threshold, value_evidence)


def fields_of(*specs: dict[str, object]) -> list[FieldSpec]:
    return [FieldSpec.model_validate(spec) for spec in specs]


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("Member No.", "member_id"),
        ("Member #", "member_id"),
        ("Member Num", "member_id"),
        ("Member Nbr", "member_id"),
        ("MEMBERNO", "member_id"),
        ("Tel.", "phone"),
        ("Tel No", "phone"),
        ("DOB", "date_of_birth"),
        ("D.O.B.", "date_of_birth"),
        ("Birth Dt", "date_of_birth"),
        ("E-Mail Addr.", "email"),
    ],
)
def test_short_forms_count_as_their_long_forms(header, field):
    # Given a header written with a common short form
    # When it is matched against the default configuration
    matches = dict(
        zip((spec.name for spec in DEFAULT_VOCABULARY.fields), DEFAULT_VOCABULARY.matches(header), strict=True)
    )
    # Then it names the field as well as the long form would
    assert matches[field].score >= 0.95
    assert max(matches.values(), key=lambda match: match.score) is matches[field]


def test_qty_amt_and_addr_read_as_quantity_amount_and_address():
    # Given fields labelled in full and headers that abbreviate them
    fields = fields_of(
        {"name": "quantity", "label": "Quantity", "type": "integer"},
        {"name": "amount", "label": "Amount", "type": "number"},
        {"name": "street", "label": "Street Address"},
    )
    # When the table is mapped
    mappings = mapped(
        ["Qty", "Amt", "Street Addr"], [[1, 2, 3], [9.5, 3.0, 4.25], ["1 Main St", "2 Elm", "3 Oak"]], fields
    )
    # Then each abbreviation maps to its field exactly
    assert [(m.field, m.method) for m in mappings] == [
        ("quantity", "header_exact"),
        ("amount", "header_exact"),
        ("street", "header_exact"),
    ]


def test_a_part_of_a_term_that_names_one_field_maps_to_it():
    # Given a column headed "Birth" holding dates (part of "date of birth", used by no other field)
    # When it is mapped
    (mapping,) = mapped(["Birth"], [BIRTH_DATES])
    # Then it maps to date_of_birth, the values confirming the header
    assert (mapping.field, mapping.method) == ("date_of_birth", "combined")


def test_a_part_that_several_fields_share_does_not_map():
    # Given a column headed "Member" (member_id and full_name both use the word) of plain text
    # When it is mapped
    (mapping,) = mapped(["Member"], [["A1", "B2", "C3"]])
    # Then it stays unmapped, both fields weak candidates with equal scores
    assert (mapping.field, mapping.unmapped_reason) == (None, "below_threshold")
    assert {name for name, _ in mapping.candidates} == {"member_id", "full_name"}
    assert len({score for _, score in mapping.candidates}) == 1


def test_inflected_headers_match_their_terms():
    # Given a field whose term says "register" and headers in other inflections
    fields = fields_of(
        {"name": "joined_on", "label": "Register Date", "type": "date"}, {"name": "email", "type": "email"}
    )
    # When "Registered" (with dates) and "Emails" (with addresses) are mapped
    mappings = mapped(["Registered", "Emails"], [BIRTH_DATES, EMAILS], fields)
    # Then both map to their fields
    assert [m.field for m in mappings] == ["joined_on", "email"]


@pytest.mark.parametrize(
    ("header", "field"), [("Lsat Name", "last_name"), ("Frist Name", "first_name"), ("Surnmae", "last_name")]
)
def test_a_typo_maps_to_the_closest_field_never_a_looser_one(header, field):
    # Given a misspelt header of plain text
    # When it is mapped
    (mapping,) = mapped([header], [["Ann", "Bob", "Eve"]])
    # Then it maps to the field it misspells, by a fuzzy header, and full_name is no close second
    assert (mapping.field, mapping.method) == (field, "header_fuzzy")
    assert all(score < 0.5 for name, score in mapping.candidates if name == "full_name")


@pytest.mark.parametrize(
    "header", ["First Name", "Given Name", "Middle Name", "Family Name", "Name (Last)", "Lsat Name"]
)
def test_a_header_naming_one_part_of_a_name_is_never_full_name(header):
    # Given a configuration whose only name field is full_name (also known as "name")
    fields = fields_of(
        {"name": "full_name", "label": "Full Name", "synonyms": ["name"]}, {"name": "email", "type": "email"}
    )
    # When a header naming a part of a name is mapped
    (mapping,) = mapped([header], [["Ann", "Bob", "Eve"]], fields)
    # Then it does not map to full_name
    assert mapping.field is None


@pytest.mark.parametrize(
    ("header", "values"),
    [("Last Login", BIRTH_DATES), ("Start Date", BIRTH_DATES), ("Phone Type", ["mobile", "home", "work"])],
)
def test_a_header_whose_head_word_names_something_else_does_not_map(header, values):
    # Given a header that shares a word with a field but is about something else
    # When it is mapped
    (mapping,) = mapped([header], [values])
    # Then it stays unmapped
    assert (mapping.field, mapping.unmapped_reason) == (None, "below_threshold")


def test_a_qualified_term_still_maps():
    # Given "Primary Email" and "Mobile Number" under a configuration whose phone field never says "number"
    fields = fields_of({"name": "email", "type": "email"}, {"name": "phone", "type": "phone", "synonyms": ["mobile"]})
    # When they are mapped
    mappings = mapped(["Primary Email", "Mobile Number"], [EMAILS, PHONES], fields)
    # Then both map
    assert [m.field for m in mappings] == ["email", "phone"]


# --- silent headers: values decide, never a guess --------------------------------------------------------


@pytest.mark.parametrize("header", ["Column 7", "Misc", "Data", "Column A", "Unnamed: 3", None])
def test_a_silent_header_maps_by_unambiguous_values(header):
    # Given a silent header over e-mails, one over phone numbers and one over dates (the default has one date field)
    headers = [header, header, header]
    # When the table is mapped
    mappings = mapped(headers, [EMAILS, PHONES, BIRTH_DATES])
    # Then each maps by its values
    assert [(m.field, m.method) for m in mappings] == [
        ("email", "values"),
        ("phone", "values"),
        ("date_of_birth", "values"),
    ]


def test_a_silent_column_that_fits_two_fields_equally_stays_unmapped_with_both_as_candidates():
    # Given a configuration with two date fields and a silent column of dates
    fields = fields_of(
        {"name": "hire_date", "label": "Hire Date", "type": "date"},
        {"name": "end_date", "label": "End Date", "type": "date"},
    )
    # When it is mapped
    (mapping,) = mapped(["Column 3"], [BIRTH_DATES], fields)
    # Then it stays unmapped, below the threshold, with both fields as equal candidates
    assert (mapping.field, mapping.unmapped_reason) == (None, "below_threshold")
    assert {name for name, _ in mapping.candidates} == {"hire_date", "end_date"}
    assert len({score for _, score in mapping.candidates}) == 1


def test_a_tie_is_never_assigned_even_under_a_low_threshold():
    # Given the same two date fields, a silent column of dates and a threshold of 0.1
    fields = fields_of({"name": "hire_date", "type": "date"}, {"name": "end_date", "type": "date"})
    # When it is mapped
    (mapping,) = mapped(["Misc"], [BIRTH_DATES], fields, threshold=0.1)
    # Then it is still unmapped: the evidence does not choose
    assert (mapping.field, mapping.unmapped_reason) == (None, "duplicate_field")


@pytest.mark.parametrize(
    "values",
    [
        [10002345, 10002346, 10002347, 10002348],
        ["10002345", "10002346", "10002347", "10002348"],
        ["31.12.1980", "01.02.1975", "15.06.1990", "30.09.1968"],
    ],
)
def test_ids_and_dotted_dates_under_a_silent_header_are_not_phone_numbers(values):
    # Given a silent column of numbers or dotted dates (each has 7-15 digits, like a phone number)
    # When it is mapped
    (mapping,) = mapped(["Column 4"], [values])
    # Then it does not map to phone
    assert mapping.field != "phone"


def test_phone_numbers_stored_as_numbers_map_under_a_phone_header():
    # Given phone numbers stored as number cells under "Cell #"
    # When they are mapped
    (mapping,) = mapped(["Cell #"], [[4165550123, 2125550199, 6475550110]])
    # Then the header decides
    assert mapping.field == "phone"


def test_detection_lookups_stay_cached():
    # Given the vocabulary table detection uses
    vocabulary = HeaderVocabulary(DEFAULT_CONFIGURATION.fields)
    # When the same cells are asked about again
    first = [vocabulary.is_known_term(text) for text in ("Member #", "DOB", "Notes", "Ann Smith")]
    again = [vocabulary.is_known_term(text) for text in ("Member #", "DOB", "Notes", "Ann Smith")]
    # Then the answers agree and came from the cache
    assert first == again == [True, True, False, False]
    assert vocabulary._known_term.cache_info().hits == 4  # type: ignore[attr-defined]
