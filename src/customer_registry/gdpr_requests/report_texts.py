"""Finnish and English words of the access report and the portability archive."""

from __future__ import annotations

from customer_registry.models import LegalBasis

LEGAL_BASES = {
    LegalBasis.contract: {"fi": "sopimus", "en": "contract"},
    LegalBasis.legitimate_interest: {"fi": "oikeutettu etu", "en": "legitimate interest"},
    LegalBasis.consent: {"fi": "suostumus", "en": "consent"},
    LegalBasis.legal_obligation: {"fi": "lakisääteinen velvoite", "en": "legal obligation"},
}

CUSTOMER_REGISTER_PURPOSE = {
    "fi": "asiakasrekisterin ylläpito, tilausten käsittely ja asiakassuhteen hoito",
    "en": "the customer register, orders and the customer relationship",
}


def retention_rule(years: int, language: str) -> str:
    """The retention period in words."""
    if language == "fi":
        return f"{years} vuotta asiakkuuden päättymisestä"
    return f"{years} years from the end of the customer relationship"


WORDS = {
    "fi": {
        "title": "Rekisteröidyn tarkastusoikeus: tiedot rekisterissä",
        "subject": "Henkilötiedot",
        "sources": "Tietolähteet",
        "purposes": "Käsittelyn tarkoitukset ja oikeusperusteet",
        "consents": "Suostumukset ja kiellot",
        "retention": "Säilytysaika",
        "recipients": "Vastaanottajat",
        "orders": "Tilaukset ja laskut",
        "disclosures": "Luovutukset vastaanottajille",
        "processing_log": "Kuka tietojasi on käsitellyt",
        "when": "Aika",
        "action": "Toimenpide",
        "who": "Käsittelijä",
        "fields": "Tiedot",
        "purpose": "Tarkoitus",
        "number": "Numero",
        "total": "Summa",
        "status": "Tila",
        "invoice": "Lasku",
    },
    "en": {
        "title": "Access report: your data in the register",
        "subject": "Personal data",
        "sources": "Sources of the data",
        "purposes": "Purposes and legal bases",
        "consents": "Consents and objections",
        "retention": "Retention",
        "recipients": "Recipients",
        "orders": "Orders and invoices",
        "disclosures": "Disclosures to recipients",
        "processing_log": "Who has processed your data",
        "when": "Time",
        "action": "Action",
        "who": "By",
        "fields": "Fields",
        "purpose": "Purpose",
        "number": "Number",
        "total": "Total",
        "status": "Status",
        "invoice": "Invoice",
    },
}

PORTABILITY_README = """\
This archive holds the personal data you provided to the register, in two forms:

data.json     one JSON document, schema "customer-registry/portability/v1":
              {"schema": ..., "customer": {...}, "orders": [...], "order_lines": [...],
               "consents": [...]}; amounts are decimal strings in the order's currency.
<table>.csv   the same data, one CSV file (UTF-8, comma-separated, header row) per table.
"""
