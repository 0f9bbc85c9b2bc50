"""The notice as a stand-alone HTML page."""

from __future__ import annotations

from html import escape

from customer_registry.privacy_notice.content import PrivacyNotice


def notice_html(notice: PrivacyNotice) -> str:
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{notice.language}"><head><meta charset="utf-8">',
        f"<title>{escape(notice.title)}: {escape(notice.register_name)}</title></head><body>",
        f"<h1>{escape(notice.title)}: {escape(notice.register_name)}</h1>",
        f"<p>{escape(notice.date.isoformat())}</p>",
    ]
    for section in notice.sections:
        parts.append(f'<section id="{escape(section.id)}"><h2>{escape(section.heading)}</h2>')
        parts.extend(f"<p>{escape(paragraph)}</p>" for paragraph in section.paragraphs)
        if section.items:
            parts.append("<ul>")
            parts.extend(f"<li>{escape(item)}</li>" for item in section.items)
            parts.append("</ul>")
        parts.append("</section>")
    parts.append("</body></html>")
    return "\n".join(parts)
