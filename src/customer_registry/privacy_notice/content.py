"""The privacy notice's text, built from the settings that also drive the behaviour."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from customer_registry.config import Settings
from customer_registry.models import Purpose, Recipient, RecipientRole
from customer_registry.partners.regions import has_adequacy_decision, in_eu_eea, may_receive_data
from customer_registry.privacy_notice.authority import DATA_PROTECTION_OMBUDSMAN, AuthorityContact
from customer_registry.privacy_notice.texts import (
    COOKIES,
    CUSTOMER_TYPES,
    DATA_CONTENT,
    DATA_SOURCES,
    DISCLOSURE_PURPOSES,
    PURPOSES,
    RECIPIENT_ROLES,
)

NoticeLanguage = Literal["fi", "en"]


class Controller(BaseModel):
    """The controller and the contact person for matters of the register."""

    name: str
    contact_person: str
    phone: str
    email: str


class NoticeSection(BaseModel):
    """One section of the notice."""

    id: str
    heading: str
    paragraphs: list[str]
    items: list[str] = []


class PrivacyNotice(BaseModel):
    """The register's privacy notice (GDPR Art. 13 and 14)."""

    language: NoticeLanguage
    title: str
    register_name: str
    date: dt.date
    controller: Controller
    retention_years: int
    invoice_retention_years: int
    supervisory_authority: AuthorityContact
    sections: list[NoticeSection]


def _pick(language: NoticeLanguage, fi: str, en: str) -> str:
    return fi if language == "fi" else en


def build_notice(
    settings: Settings,
    language: NoticeLanguage,
    recipients: list[str] | None = None,
    objectable_purposes: list[str] | None = None,
) -> PrivacyNotice:
    """The notice in one language; `recipients` and purposes come from the register's tables."""

    def t(fi: str, en: str) -> str:
        return _pick(language, fi, en)

    controller = Controller(
        name=settings.controller_name,
        contact_person=settings.controller_contact_person,
        phone=settings.controller_phone,
        email=settings.controller_email,
    )
    years = settings.retention_years
    invoice_years = settings.invoice_retention_years
    authority = DATA_PROTECTION_OMBUDSMAN.contact(language)
    disclosure_purposes = ", ".join(names[language] for names in DISCLOSURE_PURPOSES.values())
    sections = [
        NoticeSection(
            id="controller",
            heading=t("Rekisterinpitäjä ja yhteyshenkilö", "Controller and contact person"),
            paragraphs=[
                t("Rekisterinpitäjä: ", "Controller: ")
                + f"{controller.name}, {controller.phone}, {controller.email}.",
                t(
                    "Yhteyshenkilö rekisteriä koskevissa asioissa: ",
                    "Contact person for matters of the register: ",
                )
                + f"{controller.contact_person}, {controller.phone}, {controller.email}.",
            ],
        ),
        NoticeSection(
            id="purposes",
            heading=t(
                "Oikeusperuste ja henkilötietojen käsittelyn tarkoitus",
                "Legal basis and purposes of processing",
            ),
            paragraphs=[
                t(
                    "Rekisterin käyttötarkoitus on yrityksen asiakasrekisterin ylläpitäminen, "
                    "asiakkaiden tilausten hallinnointi, arkistointi ja käsittely sekä "
                    "asiakassuhteen hoitaminen.",
                    "The register is used to maintain the company's customer register, to "
                    "manage, archive and process customer orders and to look after the "
                    "customer relationship.",
                ),
                t(
                    "Tietoja voidaan käyttää toiminnan kehittämiseen, tilastollisiin "
                    "tarkoituksiin (vain koostetietoina) ja kohdennetun sisällön tuottamiseen "
                    "verkkopalveluissamme.",
                    "The data may be used to develop the business, for statistics (only as "
                    "aggregates) and for targeted content in our web services.",
                ),
                t(
                    "Käsittely perustuu sopimukseen. Oikeutetun edun peruste: asiakassuhde.",
                    "Processing is based on contract. Legitimate interest: the customer "
                    "relationship.",
                ),
            ],
            items=[
                t("Voit kieltää: ", "You may forbid: ") + purpose
                for purpose in (objectable_purposes or [])
            ],
        ),
        NoticeSection(
            id="categories",
            heading=t("Henkilötietoryhmät", "Categories of data subjects"),
            paragraphs=[t("Asiakkaat:", "Customers:")],
            items=[names[language] for names in CUSTOMER_TYPES.values()],
        ),
        NoticeSection(
            id="content",
            heading=t("Rekisterin tietosisältö", "Data in the register"),
            paragraphs=[],
            items=[item[language] for item in DATA_CONTENT],
        ),
        NoticeSection(
            id="sources",
            heading=t("Säännönmukaiset tietolähteet", "Regular sources of data"),
            paragraphs=[],
            items=[names[language] for names in DATA_SOURCES.values()],
        ),
        NoticeSection(
            id="recipients",
            heading=t("Vastaanottajat ja luovutukset", "Recipients and disclosures"),
            paragraphs=[
                t(
                    "Rekisterinpitäjän henkilöstö sekä ulkoistuskumppanit (taloushallinto) "
                    "soveltuvin osin. Tietoja ei luovuteta yrityksen ulkopuolelle paitsi "
                    f"seuraaviin tarkoituksiin: {disclosure_purposes}.",
                    "The controller's staff and outsourcing partners (financial "
                    "administration) where applicable. Data is not disclosed outside the "
                    f"company except for: {disclosure_purposes}.",
                )
            ],
            items=list(recipients or []),
        ),
        NoticeSection(
            id="transfers",
            heading=t(
                "Tietojen siirto EU:n tai ETA:n ulkopuolelle", "Transfers outside the EU/EEA"
            ),
            paragraphs=[
                t(
                    "Henkilötietoja ei siirretä EU:n tai ETA:n ulkopuolelle, ellei se ole "
                    "teknisen toteutuksen kannalta tarpeellista; silloin vastaanottajalle on "
                    "kirjattu tietosuojan takaava suojatoimi.",
                    "Personal data is not transferred outside the EU/EEA unless technically "
                    "necessary, and then only to a recipient with a recorded safeguard.",
                )
            ],
        ),
        NoticeSection(
            id="retention",
            heading=t("Henkilötietojen säilyttämisaika", "Retention"),
            paragraphs=[
                t(
                    f"{years} vuotta asiakkuuden päättymisestä lukien. Laskut säilytetään "
                    f"kirjanpitolain mukaisesti {invoice_years} vuotta tilikauden päättymisestä.",
                    f"{years} years from the end of the customer relationship. Invoices are "
                    f"kept for {invoice_years} years from the end of the financial year, as "
                    "the Accounting Act requires.",
                )
            ],
        ),
        NoticeSection(
            id="cookies",
            heading=t("Evästeet ja analytiikka", "Cookies and analytics"),
            paragraphs=[paragraph[language] for paragraph in COOKIES],
        ),
        NoticeSection(
            id="rights",
            heading=t("Rekisteröidyn oikeudet", "Your rights"),
            paragraphs=[],
            items=[
                t(
                    "Tarkastusoikeus: pyyntö kirjallisena ja allekirjoitettuna, suomeksi tai "
                    "englanniksi.",
                    "Access: make the request in writing and signed, in Finnish or English.",
                ),
                t(
                    "Oikeus kieltää käsittely suoramainontaa, etämyyntiä, suoramarkkinointia "
                    "sekä markkina- ja mielipidetutkimusta varten.",
                    "The right to forbid processing for direct advertising, distance selling, "
                    "direct marketing, and market and opinion research.",
                ),
                t(
                    "Oikeus siirtää omat tietonsa järjestelmästä toiseen.",
                    "The right to move your own data from one system to another.",
                ),
                t(
                    "Oikeus vaatia virheellisen tiedon korjaamista; epäämisestä annetaan "
                    "kirjallinen todistus.",
                    "The right to have wrong data corrected; a refusal is given in writing.",
                ),
                t(
                    "Oikeus pyytää käsittelyn rajoittamista.",
                    "The right to ask for processing to be restricted.",
                ),
                t(
                    "Oikeus tulla unohdetuksi, ellei laki, avoimet laskut tai perintä estä; "
                    "yhteisön yhteyshenkilön tietoja ei voida poistaa tänä aikana.",
                    "The right to be forgotten unless the law, open invoices or debt "
                    "collection prevent it; a contact person's data cannot be erased while "
                    "they are the contact person.",
                ),
            ],
        ),
        NoticeSection(
            id="complaint",
            heading=t(
                "Oikeus tehdä valitus valvontaviranomaiselle",
                "The right to lodge a complaint",
            ),
            paragraphs=[DATA_PROTECTION_OMBUDSMAN.complaint_sentence(language)],
        ),
    ]
    return PrivacyNotice(
        language=language,
        title=t("Tietosuojaseloste", "Privacy notice"),
        register_name=t("Asiakasrekisteri", "Customer register"),
        date=settings.privacy_notice_date,
        controller=controller,
        retention_years=years,
        invoice_retention_years=invoice_years,
        supervisory_authority=authority,
        sections=sections,
    )


class NoticeSources:
    """The parts of the notice that live in the register's tables: recipients, purposes."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def notice(self, settings: Settings, language: NoticeLanguage) -> PrivacyNotice:
        recipients = (await self.session.scalars(select(Recipient).order_by(Recipient.name))).all()
        return build_notice(
            settings,
            language,
            recipients=[_recipient_line(recipient, language) for recipient in recipients],
            objectable_purposes=[PURPOSES[purpose][language] for purpose in Purpose],
        )


def _recipient_line(recipient: Recipient, language: NoticeLanguage) -> str:
    role = RECIPIENT_ROLES.get(RecipientRole(recipient.role), {}).get(language, recipient.role)
    line = f"{recipient.name} ({role}, {recipient.country})"
    if in_eu_eea(recipient.country):
        return line
    if has_adequacy_decision(recipient.country):
        return line + _pick(
            language,
            "; EU:n/ETA:n ulkopuolella, maassa, jonka tietosuojan tason Euroopan komissio on "
            "todennut riittäväksi (tietosuoja-asetuksen 45 artikla)",
            "; outside the EU/EEA, in a country for which the European Commission has "
            "adopted an adequacy decision (GDPR Art. 45)",
        )
    if may_receive_data(recipient.country, recipient.safeguard):
        return line + _pick(
            language,
            f"; EU:n/ETA:n ulkopuolella, suojatoimi: {recipient.safeguard}",
            f"; outside the EU/EEA, safeguard: {recipient.safeguard}",
        )
    # R13: without a safeguard the recipient receives nothing, and the notice says so.
    return line + _pick(
        language,
        "; EU:n/ETA:n ulkopuolella, suojatoimea ei ole kirjattu: vastaanottajalle ei "
        "luovuteta tietoja ennen kuin suojatoimi on kirjattu",
        "; outside the EU/EEA, no safeguard recorded: the recipient receives no data until "
        "a safeguard is recorded",
    )
