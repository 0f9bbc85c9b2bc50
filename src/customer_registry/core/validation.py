"""Boundary types for text: bounded length, trimmed, no control characters."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, StringConstraints

_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")


def reject_control_characters(value: str) -> str:
    if _CONTROL_CHARACTERS.search(value):
        raise ValueError("must not contain control characters")
    return value


_NoControl = AfterValidator(reject_control_characters)

Text100 = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), _NoControl
]
Text200 = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), _NoControl
]
Text2000 = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000), _NoControl
]
