"""Base classes: requests accept camelCase and snake_case keys; responses always speak camelCase."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

from pydantic import AliasChoices, AliasGenerator, BaseModel, ConfigDict, Field, PlainSerializer, ValidationError
from pydantic.alias_generators import to_camel

from runs.errors import FieldError, ValidationFailed

ModelT = TypeVar("ModelT", bound=BaseModel)


def _either_spelling(name: str) -> AliasChoices:
    return AliasChoices(to_camel(name), name)


class RequestModel(BaseModel):
    """A request body or query: camelCase or the original snake_case spelling; unknown keys → 422."""

    model_config = ConfigDict(
        alias_generator=AliasGenerator(validation_alias=_either_spelling, serialization_alias=to_camel),
        extra="forbid",
        frozen=True,
    )


class ResponseModel(BaseModel):
    """A response body: camelCase keys, every documented key present (null when unknown)."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, frozen=True)

    def to_json_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True)


class RecordModel(BaseModel):
    """A stored item: camelCase attribute names, re-validated on every read; extra keys (pk/sk) ignored."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")

    def to_item(self) -> dict[str, Any]:
        """Attributes to store; unknown (None) values are left out so `attribute_not_exists` means unset."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


def format_timestamp(value: datetime) -> str:
    """ISO 8601 UTC with `Z` and millisecond precision."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


Timestamp = Annotated[datetime, PlainSerializer(format_timestamp, return_type=str, when_used="json")]


def utc_now() -> datetime:
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


class PageMeta(ResponseModel):
    limit: int
    has_more: bool
    next_cursor: str | None
    total_count: int | None = Field(default=None, description="Present when the list was asked with includeTotal=true")


class ProblemError(ResponseModel):
    path: str
    message: str
    code: str


class Problem(ResponseModel):
    """application/problem+json: all eight keys always present."""

    type: str
    title: str
    status: int
    detail: str
    instance: str | None
    code: str
    request_id: str | None
    errors: list[ProblemError]


def validate(model: type[ModelT], data: Any) -> ModelT:
    """`model.model_validate(data)`; raises ValidationFailed (422) with an `errors[]` path per pydantic issue."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise ValidationFailed(
            "The request is not valid.",
            errors=[
                FieldError(
                    path=".".join(str(part) for part in issue["loc"]) or "body",
                    message=issue["msg"],
                    code=issue["type"],
                )
                for issue in error.errors(include_url=False, include_input=False)
            ],
        ) from None
