"""Request and response bodies of accounts and login."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
)

from customer_registry.auth.passwords import MAXIMUM_PASSWORD_LENGTH, MINIMUM_PASSWORD_LENGTH
from customer_registry.core import examples
from customer_registry.core.validation import ExactBool, Text200, reject_control_characters
from customer_registry.models import Role


def _normalise_username(value: object) -> object:
    return value.strip().lower() if isinstance(value, str) else value


Username = Annotated[
    str,
    BeforeValidator(_normalise_username),
    StringConstraints(min_length=3, max_length=64, pattern=r"^[a-z0-9][a-z0-9._-]*$"),
]
Password = Annotated[
    str,
    AfterValidator(reject_control_characters),
    Field(
        min_length=MINIMUM_PASSWORD_LENGTH,
        max_length=MAXIMUM_PASSWORD_LENGTH,
        description=f"At least {MINIMUM_PASSWORD_LENGTH} characters.",
    ),
]


class TokenResponse(BaseModel):
    """A bearer access token (OAuth2 password flow)."""

    model_config = ConfigDict(json_schema_extra={"examples": [examples.TOKEN_RESPONSE]})

    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the OAuth2 token type
    expires_in: int = Field(description="Seconds until the token expires.")


class UserCreate(BaseModel):
    """A new personal staff account."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [examples.USER_CREATE]}
    )

    username: Username
    full_name: Text200
    role: Role
    password: Password
    confidentiality_committed: ExactBool = Field(
        default=False,
        description="Whether the person has signed the confidentiality commitment (R16); "
        "without it the account cannot log in.",
    )


class UserRead(BaseModel):
    """A staff account, without its password hash."""

    model_config = ConfigDict(
        from_attributes=True, json_schema_extra={"examples": [examples.USER_READ]}
    )

    id: uuid.UUID
    username: str
    full_name: str
    role: Role
    is_active: bool
    confidentiality_committed_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime
