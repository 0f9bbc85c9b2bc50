"""Export endpoints: mailing labels for direct advertising (R5)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query
from fastapi.responses import StreamingResponse

from customer_registry.auth.dependencies import LabelsExporter
from customer_registry.auth.rate_limit import per_principal
from customer_registry.core.errors import (
    Forbidden,
    TooManyRequests,
    Unauthorized,
    UnprocessableEntity,
    error_responses,
)
from customer_registry.core.routing import documented_router
from customer_registry.exports.filters import LabelFilters
from customer_registry.exports.service import MEDIA_TYPES, LabelFormat, MailingLabelExportDep
from customer_registry.models import CustomerType, Language

router = documented_router(prefix="/api/v1/exports", tags=["exports"])


@router.get(
    "/mailing-labels",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "The labels: CSV with a header row, or a PDF of A4 sheets.",
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                "application/pdf": {"schema": {"type": "string", "format": "binary"}},
            },
        },
        **error_responses(Unauthorized, Forbidden, UnprocessableEntity, TooManyRequests),
    },
    dependencies=[
        Depends(
            per_principal("exports", "rate_limit_exports_per_minute", staff_only=True),
            scope="function",
        )
    ],
)
async def export_mailing_labels(
    export: MailingLabelExportDep,
    actor: LabelsExporter,
    format: LabelFormat = LabelFormat.csv,
    type: CustomerType | None = None,
    language: Language | None = None,
    postal_code_prefix: Annotated[
        str | None,
        Query(
            min_length=1, max_length=16, pattern=r"^[A-Za-z0-9]+$", description="E.g. 00 or 001."
        ),
    ] = None,
) -> StreamingResponse:
    """Mailing labels for direct advertising, streamed as CSV or PDF (3 x 8 labels per A4).

    Leaves out everyone who forbade listing or direct advertising, restricted, erased or
    anonymised customers, ended relationships and customers with no postal address. Each
    person exported gets an audit event (action `export`, purpose `direct_advertising`).
    """
    filters = LabelFilters(
        customer_type=type.value if type else None,
        language=language.value if language else None,
        postal_code_prefix=postal_code_prefix.upper() if postal_code_prefix else None,
    )
    return StreamingResponse(
        export.stream(format, filters, actor),
        media_type=MEDIA_TYPES[format],
        headers={"Content-Disposition": f'attachment; filename="mailing-labels.{format.value}"'},
    )
