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


DATA_PROTECTION_OMBUDSMAN = SupervisoryAuthority(
    names={"fi": "Tietosuojavaltuutetun toimisto", "en": "Office of the Data Protection Ombudsman"},
    postal_address="PL 800, 00521 Helsinki",
    visiting_address="Ratapihantie 9, 00521 Helsinki",
    phone="029 56 66700",
    email="tietosuoja@om.fi",
    website="www.tietosuoja.fi",
)
