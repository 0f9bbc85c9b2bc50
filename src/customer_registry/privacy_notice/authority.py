"""The supervisory authority, named in the notice and in every refusal (R26)."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel


class AuthorityContact(BaseModel):
    """How to reach the supervisory authority."""

    name: str
    postal_address: str
    visiting_address: str
    phone: str
    email: str
    website: str


@dataclass(frozen=True)
class SupervisoryAuthority:
    names: dict[str, str]
    postal_address: str
    visiting_address: str
    phone: str
    email: str
    website: str

    def contact(self, language: str) -> AuthorityContact:
        return AuthorityContact(
            name=self.names.get(language, self.names["en"]),
            postal_address=self.postal_address,
            visiting_address=self.visiting_address,
            phone=self.phone,
            email=self.email,
            website=self.website,
        )

    def complaint_sentence(self, language: str) -> str:
        """One sentence telling the person where to complain."""
        contact = self.contact(language)
        where = (
            f"{contact.name}, {contact.postal_address}, {contact.phone}, "
            f"{contact.email}, {contact.website}"
        )
        if language == "fi":
            return (
                "Voit saattaa asian tietosuojavaltuutetun ratkaistavaksi ja tehdä kantelun "
                f"valvontaviranomaiselle: {where}."
            )
        return (
            "You may take the matter to the Data Protection Ombudsman and lodge a complaint "
            f"with the supervisory authority: {where}."
        )

    def refusal_remedies(self, language: str) -> str:
        """The remedies a written refusal names (GDPR Art. 12(4), 77 and 79), formally."""
        contact = self.contact(language)
        where = (
            f"{contact.name}, {contact.postal_address}, {contact.phone}, "
            f"{contact.email}, {contact.website}"
        )
        if language == "fi":
            return (
                "Jos katsotte, ettei pyyntöänne ole käsitelty tietosuoja-asetuksen mukaisesti, "
                "voitte saattaa asian tietosuojavaltuutetun ratkaistavaksi tekemällä kantelun "
                f"valvontaviranomaiselle (tietosuoja-asetuksen 77 artikla): {where}. Teillä on "
                "lisäksi oikeus saattaa asia tuomioistuimen käsiteltäväksi "
                "(tietosuoja-asetuksen 79 artikla)."
            )
        return (
            "If you consider that your request has not been handled as the GDPR requires, you "
            "may take the matter to the Data Protection Ombudsman by lodging a complaint with "
            f"the supervisory authority (GDPR Art. 77): {where}. You also have the right to "
            "bring the matter before a court (GDPR Art. 79)."
        )


DATA_PROTECTION_OMBUDSMAN = SupervisoryAuthority(
    names={"fi": "Tietosuojavaltuutetun toimisto", "en": "Office of the Data Protection Ombudsman"},
    postal_address="PL 800, 00521 Helsinki",
    visiting_address="Ratapihantie 9, 00521 Helsinki",
    phone="029 56 66700",
    email="tietosuoja@om.fi",
    website="www.tietosuoja.fi",
)
