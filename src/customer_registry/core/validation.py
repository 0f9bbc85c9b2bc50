"""Boundary types for text: bounded length, trimmed, no control characters."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BeforeValidator, StrictBool, StringConstraints

_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")


def reject_control_characters(value: str) -> str:
    if _CONTROL_CHARACTERS.search(value):
        raise ValueError("must not contain control characters")
    return value


_NoControl = AfterValidator(reject_control_characters)
# The same rule as a pattern, so that the OpenAPI document says what is accepted.
NO_CONTROL_CHARACTERS = r"^[^\x00-\x1f\x7f]*$"


def _text(max_length: int) -> StringConstraints:
    return StringConstraints(
        strip_whitespace=True,
        min_length=1,
        max_length=max_length,
        pattern=NO_CONTROL_CHARACTERS,
    )


Text100 = Annotated[str, _text(100), _NoControl]
Text200 = Annotated[str, _text(200), _NoControl]
Text400 = Annotated[str, _text(400), _NoControl]
Text500 = Annotated[str, _text(500), _NoControl]
Text2000 = Annotated[str, _text(2000), _NoControl]


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


def _iso_text_only(value: object) -> object:
    """Dates and times come as ISO 8601 text, never as numbers (no Unix timestamps)."""
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str) or not _ISO_DATE.match(value):
        raise ValueError("must be an ISO 8601 date or date-time text")
    return value


# Boundary types whose JSON Schema type is also the only type accepted (no coercion of
# numbers or strings), so that the API accepts exactly what its OpenAPI document describes.
IsoDate = Annotated[dt.date, BeforeValidator(_iso_text_only)]
IsoAwareDateTime = Annotated[AwareDatetime, BeforeValidator(_iso_text_only)]
ExactBool = StrictBool
