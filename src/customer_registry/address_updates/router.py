"""The address-update import endpoint (R10)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request

from customer_registry.address_updates.parser import COLUMNS, InvalidUpdateFile
from customer_registry.address_updates.schemas import AddressUpdateReport
from customer_registry.address_updates.service import AddressUpdateImportDep
from customer_registry.auth.dependencies import AddressUpdatesImporter
from customer_registry.core.errors import (
    Forbidden,
    PayloadTooLarge,
    Unauthorized,
    UnprocessableEntity,
    UnsupportedMediaType,
    error_responses,
)
from customer_registry.core.routing import documented_router

router = documented_router(prefix="/api/v1/address-updates", tags=["address-updates"])


async def _read_csv_body(request: Request, limit: int) -> str:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != "text/csv":
        raise UnsupportedMediaType("Send the file as text/csv.")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise PayloadTooLarge(f"The file is larger than {limit} bytes.")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise UnprocessableEntity("The file is not UTF-8 text.", loc=("body",)) from error


@router.post(
    "",
    response_model=AddressUpdateReport,
    responses=error_responses(
        Unauthorized, Forbidden, PayloadTooLarge, UnsupportedMediaType, UnprocessableEntity
    ),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "text/csv": {
                    "schema": {"type": "string", "format": "binary"},
                    "example": ",".join(COLUMNS)
                    + "\n,Aino,Virtanen,Esimerkkikatu 1 A 2,00100,Helsinki,,,"
                    "Uusikatu 5,00200,Helsinki,FI,2026-11-20\n",
                }
            },
        }
    },
)
async def import_address_updates(
    request: Request,
    service: AddressUpdateImportDep,
    actor: AddressUpdatesImporter,
    dry_run: Annotated[
        bool, Query(description="Match and report without changing anything.")
    ] = False,
) -> AddressUpdateReport:
    """Import name and address updates from an update service (CSV); returns a report.

    Columns (header row required): `changed_on` (YYYY-MM-DD, required); `customer_id`, or
    `first_name`, `last_name`, `previous_street`, `previous_postal_code` (and optionally
    `previous_city`) to find the customer; `new_street`, `new_postal_code`, `new_city`,
    `new_country` and/or `new_first_name`, `new_last_name`. A line is never applied over a
    change the register made after `changed_on`, nor to a restricted or erased customer;
    malformed lines are reported by line number and do not stop the rest.
    """
    text = await _read_csv_body(request, request.app.state.settings.address_update_max_bytes)
    try:
        return await service.run(text, actor, dry_run=dry_run)
    except InvalidUpdateFile as error:
        raise UnprocessableEntity(
            f"The file cannot be used: {error}.", loc=("body",), msg="the file cannot be used"
        ) from error
