"""Letters to the requester: a request's decision or extension, in the requester's language.

The words come from the request as the service recorded it (its outcome, the blockers and
their legal reasons, the Ombudsman's contact); nothing is decided here.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from fpdf import FPDF

from customer_registry.config import Settings
from customer_registry.console.texts import translator
from customer_registry.gdpr_requests.deadlines import today_in_finland
from customer_registry.gdpr_requests.schemas import GdprRequestRead
from customer_registry.privacy_notice.authority import DATA_PROTECTION_OMBUDSMAN

# Columns that are copies kept for searching, not data of their own to name to the person.
INTERNAL_COLUMNS = frozenset({"email_normalized"})


@dataclasses.dataclass(frozen=True)
class Section:
    heading: str | None
    paragraphs: list[str]
    items: list[str] = dataclasses.field(default_factory=list)


@dataclasses.dataclass(frozen=True)
class Letter:
    language: str
    sender: list[str]
    addressee: list[str]
    date: str
    reference: str
    subject: str
    sections: list[Section]
    closing: list[str]


def _date(value: dt.date | dt.datetime, language: str) -> str:
    day = value.date() if isinstance(value, dt.datetime) else value
    return f"{day.day}.{day.month}.{day.year}" if language == "fi" else day.isoformat()


def compose(
    item: GdprRequestRead, kind: str, settings: Settings, addressee: list[str] | None = None
) -> Letter:
    """The letter of a decision (`decision`) or of an extended deadline (`extension`)."""
    language = item.language.value
    t = translator(language)
    fi = language == "fi"
    what = t(f"request_type.{item.type.value}")
    received = _date(item.received_at, language)
    sections: list[Section]
    if kind == "extension":
        subject = (
            f"Pyyntönne käsittelyn määräajan jatkaminen ({what})"
            if fi
            else f"Extension of the time to answer your request ({what})"
        )
        sections = [_extension(item, language)]
    else:
        subject = f"Päätös pyyntöönne: {what}" if fi else f"Decision on your request: {what}"
        sections = _decision(item, language)
    opening = (
        f"Olemme vastaanottaneet pyyntönne {received}."
        if fi
        else f"We received your request on {received}."
    )
    sections.insert(0, Section(None, [opening]))
    requester = item.requester
    lines = addressee or ([requester.name] if requester else [])
    if requester is not None and requester.address and not addressee:
        lines.append(requester.address)
    return Letter(
        language=language,
        sender=[settings.controller_name, t("letter.register")],
        addressee=lines,
        date=_date(today_in_finland(), language),
        reference=str(item.id),
        subject=subject,
        sections=sections,
        closing=[
            "Ystävällisin terveisin" if fi else "Yours sincerely",
            "",
            settings.controller_name,
            t("letter.signature"),
            f"{settings.controller_contact_person}, {settings.controller_email}, "
            f"{settings.controller_phone}",
        ],
    )


def _extension(item: GdprRequestRead, language: str) -> Section:
    deadline = _date(item.deadline_on, language)
    reason = item.extension_reason or ""
    if language == "fi":
        return Section(
            None,
            [
                "Pyyntönne käsittely vaatii tavanomaista enemmän aikaa. Jatkamme vastaamisen "
                "määräaikaa EU:n tietosuoja-asetuksen 12 artiklan 3 kohdan nojalla.",
                f"Perustelut: {reason}",
                f"Vastaamme pyyntöönne viimeistään {deadline}.",
            ],
        )
    return Section(
        None,
        [
            "Your request needs more time than usual. We extend the time to answer it under "
            "Article 12(3) of the GDPR.",
            f"Reasons: {reason}",
            f"We will answer your request by {deadline} at the latest.",
        ],
    )


def _authority(language: str) -> Section:
    contact = DATA_PROTECTION_OMBUDSMAN.contact(language)
    heading = "Valvontaviranomainen" if language == "fi" else "Supervisory authority"
    return Section(
        heading,
        [DATA_PROTECTION_OMBUDSMAN.complaint_sentence(language)],
        [
            contact.name,
            contact.postal_address,
            contact.visiting_address,
            contact.phone,
            contact.email,
            contact.website,
        ],
    )


def _decision(item: GdprRequestRead, language: str) -> list[Section]:
    t = translator(language)
    fi = language == "fi"
    outcome: dict[str, Any] = item.outcome or {}
    result = outcome.get("result")
    if result is None:
        return [
            Section(
                None,
                [
                    "Pyyntönne on käsittelyssä; päätöstä ei ole vielä tehty."
                    if fi
                    else "Your request is being handled; no decision has been made yet."
                ],
            )
        ]
    if result == "refused":
        return [Section(None, [str(outcome.get("statement", ""))]), _authority(language)]
    if result in ("erased", "partially_erased"):
        erased = [
            t(f"field.{name}")
            for name in outcome.get("erased_fields", [])
            if name not in INTERNAL_COLUMNS
        ]
        sections = [
            Section(
                "Poistetut tiedot" if fi else "Data erased",
                [
                    "Olemme poistaneet rekisteristä seuraavat tietonne:"
                    if fi
                    else "We have erased the following data about you from the register:"
                ]
                if erased
                else ["Tietoja ei poistettu." if fi else "No data was erased."],
                erased,
            )
        ]
        if result == "erased":
            return sections
        blockers = outcome.get("blockers", [])
        kept = [t(f"field.{name}") for name in outcome.get("kept_until_blockers_end", [])]
        reasons = []
        for blocker in blockers:
            until = blocker.get("ends_on")
            text = t(f"blocker.{blocker.get('kind')}")
            if until:
                until_text = _date(dt.date.fromisoformat(until), language)
                text += f" ({'säilytetään' if fi else 'kept until'} {until_text})"
            reasons.append(text)
        sections.append(
            Section(
                "Säilytettävät tiedot ja perusteet" if fi else "Data kept, and why",
                [
                    "Emme voi poistaa kaikkia tietojanne. Seuraavat tiedot säilytetään vain "
                    "alla mainittua tarkoitusta varten, ja niiden muu käsittely on rajoitettu:"
                    if fi
                    else "We cannot erase all of your data. The following is kept only for "
                    "the purpose named below, and its other processing is restricted:",
                    ", ".join(kept),
                    "Poistamme nämäkin tiedot, kun peruste päättyy."
                    if fi
                    else "We will erase this data too once the ground ends.",
                ],
                reasons,
            )
        )
        sections.append(_authority(language))
        return sections
    if result == "rectified":
        fields = [t(f"field.{name}") for name in outcome.get("fields", [])]
        return [
            Section(
                None,
                [
                    "Olemme korjanneet tietonne pyyntönne mukaisesti. Korjauksesta ilmoitetaan "
                    "tietojen lähteelle ja niille, joille tietoja on luovutettu."
                    if fi
                    else "We have corrected your data as you asked. The source of the data "
                    "and everyone it was disclosed to are told of the correction."
                ],
                fields,
            )
        ]
    if result in ("restricted", "already_restricted"):
        return [
            Section(
                None,
                [
                    "Tietojenne käsittelyä on rajoitettu: tiedot säilytetään, mutta niitä ei "
                    "käsitellä muuten kuin oikeudellisen vaatimuksen tai pyyntönne hoitamiseksi."
                    if fi
                    else "The processing of your data is restricted: it is stored, and "
                    "processed only for legal claims or to handle your requests."
                ],
            )
        ]
    if result == "objection_recorded":
        purposes = [t(f"consent_purpose.{name}") for name in outcome.get("forbidden", [])]
        return [
            Section(
                None,
                [
                    "Olemme kirjanneet kieltonne. Tietojanne ei käsitellä näihin tarkoituksiin:"
                    if fi
                    else "We have recorded your objection. Your data is not processed for:"
                ],
                purposes,
            )
        ]
    delivered = (
        "Ohessa ovat tietonne, kuten pyysitte." if fi else "Enclosed is your data, as you asked."
    )
    return [Section(None, [delivered])]


def _latin1(text: str) -> str:
    """The PDF core fonts cover Latin-1: dashes and quotes are replaced, others dropped."""
    replaced = text.replace("\u2013", "-").replace("\u2014", "-").replace("\u2019", "'")
    return replaced.encode("latin-1", "replace").decode("latin-1")


def pdf(letter: Letter) -> bytes:
    """The letter as an A4 PDF."""
    document = FPDF(format="A4")
    document.set_auto_page_break(auto=True, margin=20)
    document.set_margins(25, 20, 20)
    document.add_page()
    document.set_font("Helvetica", size=10)
    for line in letter.sender:
        document.cell(0, 5, _latin1(line), new_x="LMARGIN", new_y="NEXT")
    document.ln(8)
    for line in letter.addressee:
        document.cell(0, 5, _latin1(line), new_x="LMARGIN", new_y="NEXT")
    document.ln(8)
    t = translator(letter.language)
    document.cell(
        0, 5, _latin1(f"{t('letter.date')}: {letter.date}"), new_x="LMARGIN", new_y="NEXT"
    )
    document.cell(
        0,
        5,
        _latin1(f"{t('problem.reference')}: {letter.reference}"),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    document.ln(6)
    document.set_font("Helvetica", style="B", size=12)
    document.multi_cell(0, 6, _latin1(letter.subject), new_x="LMARGIN", new_y="NEXT")
    document.ln(3)
    for section in letter.sections:
        if section.heading:
            document.set_font("Helvetica", style="B", size=10)
            document.multi_cell(0, 5, _latin1(section.heading), new_x="LMARGIN", new_y="NEXT")
        document.set_font("Helvetica", size=10)
        for paragraph in section.paragraphs:
            document.multi_cell(0, 5, _latin1(paragraph), new_x="LMARGIN", new_y="NEXT")
            document.ln(2)
        for entry in section.items:
            document.multi_cell(0, 5, _latin1(f"- {entry}"), new_x="LMARGIN", new_y="NEXT")
        document.ln(3)
    for line in letter.closing:
        document.cell(0, 5, _latin1(line), new_x="LMARGIN", new_y="NEXT")
    return bytes(document.output())
