"""The public privacy notice."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import Query, Request
from fastapi.responses import HTMLResponse

from customer_registry.core.database import SessionDep
from customer_registry.core.errors import UnprocessableEntity, error_responses
from customer_registry.core.routing import documented_router
from customer_registry.privacy_notice.content import NoticeLanguage, NoticeSources, PrivacyNotice
from customer_registry.privacy_notice.rendering import notice_html

router = documented_router(prefix="/api/v1/privacy-notice", tags=["privacy-notice"])


@router.get(
    "",
    response_model=PrivacyNotice,
    responses={
        200: {"content": {"text/html": {"schema": {"type": "string"}}}},
        **error_responses(UnprocessableEntity),
    },
)
async def read_privacy_notice(
    request: Request,
    session: SessionDep,
    lang: NoticeLanguage = "fi",
    format: Annotated[
        Literal["json", "html"], Query(description="JSON, or a page to show to people.")
    ] = "json",
) -> PrivacyNotice | HTMLResponse:
    """The register's privacy notice, in Finnish or English (public)."""
    notice = await NoticeSources(session).notice(request.app.state.settings, lang)
    if format == "html":
        return HTMLResponse(notice_html(notice))
    return notice
