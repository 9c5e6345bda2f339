"""The configuration (target schema) a run normalizes into: schema version 1.

See `docs/configuration.md`. Keys are camelCase; unknown keys are rejected. The JSON Schema in
`docs/configuration.schema.json` is generated from these models.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic.alias_generators import to_camel

FieldType = Literal["string", "integer", "number", "boolean", "date", "datetime", "email", "phone", "enum"]
TransformName = Literal["trim", "collapseWhitespace", "lower", "upper", "title", "digitsOnly", "personName"]
DateOrder = Literal["auto", "MDY", "DMY", "YMD"]
DecimalSeparator = Literal["auto", ".", ","]


class _ConfigModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, extra="forbid", frozen=True)


def _check_regex(pattern: str) -> str:
    try:
        re.compile(pattern)
    except re.error as error:
        raise ValueError(f"not a valid regular expression: {error}") from None
    return pattern


class PatternValidator(_ConfigModel):
    kind: Literal["pattern"]
    pattern: Annotated[str, Field(max_length=1000)]

    _valid_regex = field_validator("pattern")(_check_regex)


class RangeValidator(_ConfigModel):
    kind: Literal["range"]
    min: float | str | None = None
    max: float | str | None = None


class LengthValidator(_ConfigModel):
    kind: Literal["length"]
    min: Annotated[int, Field(ge=0)] | None = None
    max: Annotated[int, Field(ge=0)] | None = None


class UniqueValidator(_ConfigModel):
    kind: Literal["unique"]


class OneOfValidator(_ConfigModel):
    kind: Literal["oneOf"]
    values: list[str]


Validator = Annotated[
    PatternValidator | RangeValidator | LengthValidator | UniqueValidator | OneOfValidator,
    Field(discriminator="kind"),
]


class FieldSpec(_ConfigModel):
    """One output field: how it is recognised, cleaned and checked."""

    name: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
    label: Annotated[str, Field(max_length=200)] | None = None
    type: FieldType = "string"
    required: bool = False
    synonyms: Annotated[list[Annotated[str, Field(min_length=1, max_length=200)]], Field(max_length=100)] = []
    value_pattern: Annotated[str, Field(max_length=1000)] | None = None
    enum: Annotated[list[str], Field(max_length=1000)] | None = None
    transforms: list[TransformName] = ["trim"]
    validators: Annotated[list[Validator], Field(max_length=50)] = []

    @field_validator("value_pattern")
    @classmethod
    def _value_pattern_compiles(cls, pattern: str | None) -> str | None:
        return None if pattern is None else _check_regex(pattern)

    @model_validator(mode="after")
    def _enum_values_for_enum_type(self) -> FieldSpec:
        if self.type == "enum" and not self.enum:
            raise ValueError("a field of type 'enum' needs a non-empty 'enum' list")
        return self

    @property
    def display_label(self) -> str:
        return self.label or self.name


class Settings(_ConfigModel):
    mapping_threshold: Annotated[float, Field(ge=0, le=1)] = 0.6
    remove_unmapped_columns: bool = False
    write_issues_sheet: bool = True
    header_scan_rows: Annotated[int, Field(ge=1, le=1000)] = 50
    # Numeric dates: `auto` decides per column from its unambiguous values (spec: configuration.md).
    date_order: DateOrder = "auto"
    # Decimal mark of numbers written as text: `auto` decides per column from its unambiguous values.
    decimal_separator: DecimalSeparator = "auto"
    # ISO 3166 alpha-2 region for phone numbers written without a country code.
    default_region: Annotated[str, Field(pattern=r"^[A-Z]{2}$")] | None = None

    @field_validator("default_region")
    @classmethod
    def _region_known(cls, region: str | None) -> str | None:
        if region is None:
            return None
        # imported here: only a configuration with a region pays for the phone library's import
        from phonenumbers import SUPPORTED_REGIONS

        if region not in SUPPORTED_REGIONS:
            raise ValueError(
                f"{region!r} is not an ISO 3166 region code with a telephone numbering plan (e.g. GB, not UK)"
            )
        return region


class Configuration(_ConfigModel):
    """A whole configuration document (schema version 1)."""

    schema_version: Literal[1]
    name: Annotated[str, Field(min_length=1, max_length=200)]
    description: Annotated[str, Field(max_length=2000)] | None = None
    fields: Annotated[list[FieldSpec], Field(min_length=1, max_length=500)]
    settings: Settings = Settings()

    @field_validator("fields")
    @classmethod
    def _field_names_unique(cls, fields: list[FieldSpec]) -> list[FieldSpec]:
        seen: set[str] = set()
        for field in fields:
            if field.name in seen:
                raise ValueError(f"field name {field.name!r} is used more than once")
            seen.add(field.name)
        return fields


DEFAULT_CONFIGURATION = Configuration.model_validate(
    {
        "schemaVersion": 1,
        "name": "default",
        "description": "Built-in default: people and contact details.",
        "fields": [
            {
                "name": "first_name",
                "label": "First Name",
                "synonyms": ["first", "firstname", "given name", "forename", "fname"],
            },
            {
                "name": "last_name",
                "label": "Last Name",
                "synonyms": ["last", "lastname", "surname", "family name", "lname"],
            },
            {
                "name": "full_name",
                "label": "Full Name",
                "synonyms": ["name", "fullname", "member name", "contact name", "display name"],
            },
            {
                "name": "email",
                "label": "Email",
                "type": "email",
                "transforms": ["trim", "lower"],
                "synonyms": ["e-mail", "email address", "e-mail address", "mail", "email addr"],
            },
            {
                "name": "phone",
                "label": "Phone",
                "type": "phone",
                "synonyms": ["phone number", "telephone", "tel", "mobile", "cell", "contact number"],
            },
            {
                "name": "member_id",
                "label": "Member ID",
                "synonyms": ["member number", "member no", "membership id", "membership number", "id"],
            },
            {
                "name": "date_of_birth",
                "label": "Date of Birth",
                "type": "date",
                "synonyms": ["dob", "birth date", "birthdate", "birthday", "born"],
            },
        ],
    }
)
