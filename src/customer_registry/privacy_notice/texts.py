"""Finnish and English names of the register's categories, sources and purposes."""

from __future__ import annotations

from customer_registry.models import CustomerType, DataSource, Purpose, RecipientRole

Language = str  # "fi" or "en"

CUSTOMER_TYPES: dict[CustomerType, dict[Language, str]] = {
    CustomerType.company: {"fi": "yritykset", "en": "companies"},
    CustomerType.private_person: {"fi": "yksityiset", "en": "private persons"},
    CustomerType.public_administration: {"fi": "julkishallinto", "en": "public administration"},
    CustomerType.authority: {"fi": "viranomaiset", "en": "authorities"},
    CustomerType.non_profit: {
        "fi": "muut yleishyödylliset organisaatiot",
        "en": "other non-profit organisations",
    },
}

DATA_SOURCES: dict[DataSource, dict[Language, str]] = {
    DataSource.shop: {"fi": "ostokset yrityksen liikkeissä", "en": "purchases in our shops"},
    DataSource.web_shop: {"fi": "ostokset verkkopalvelussa", "en": "purchases in the web shop"},
    DataSource.reseller: {"fi": "ostokset jälleenmyyjillä", "en": "purchases from resellers"},
    DataSource.registration: {"fi": "asiakkaan rekisteröitymiset", "en": "registrations"},
    DataSource.customer_notice: {
        "fi": "asiakkaan asiakassuhteen aikana tekemät ilmoitukset",
        "en": "the customer's own notices during the relationship",
    },
    DataSource.address_update_service: {
        "fi": "nimi- ja osoitepäivityksiä tarjoavat viranomaiset ja yritykset",
        "en": "authorities and companies providing name and address updates",
    },
    DataSource.subcontractor: {
        "fi": "palvelun käyttämiseen tai tuottamiseen liittyvät alihankkijat",
        "en": "subcontractors involved in using or providing the service",
    },
}

DATA_CONTENT: list[dict[Language, str]] = [
    {"fi": "henkilön etu- ja sukunimi", "en": "the person's first and last name"},
    {"fi": "edustamansa yhteisö", "en": "the organisation the person represents"},
    {"fi": "sähköpostiosoite", "en": "e-mail address"},
    {"fi": "postiosoite", "en": "postal address"},
    {"fi": "puhelinnumero", "en": "phone number"},
    {"fi": "tiedot aikaisemmista tilauksista", "en": "previous orders"},
]

DISCLOSURE_PURPOSES: dict[str, dict[Language, str]] = {
    "invoicing": {"fi": "laskutus", "en": "invoicing"},
    "credit_decision": {"fi": "luottopäätös", "en": "credit decisions"},
    "debt_collection": {"fi": "perintä", "en": "debt collection"},
    "legal_obligation": {"fi": "lainsäädännön velvoite", "en": "obligations under law"},
}

PURPOSES: dict[Purpose, dict[Language, str]] = {
    Purpose.direct_advertising: {"fi": "suoramainonta", "en": "direct advertising"},
    Purpose.distance_selling: {"fi": "etämyynti", "en": "distance selling"},
    Purpose.direct_marketing: {"fi": "suoramarkkinointi", "en": "direct marketing"},
    Purpose.market_research: {"fi": "markkinatutkimus", "en": "market research"},
    Purpose.opinion_research: {"fi": "mielipidetutkimus", "en": "opinion research"},
    Purpose.listing: {
        "fi": "julkaiseminen luettelona (esim. postitustarrat)",
        "en": "publication in lists such as mailing labels",
    },
    Purpose.targeted_content: {
        "fi": "henkilökohtaisesti kohdennettu sisältö verkkopalveluissa",
        "en": "personalised, targeted content in the web services",
    },
}

RECIPIENT_ROLES: dict[RecipientRole, dict[Language, str]] = {
    RecipientRole.web_shop_operator: {"fi": "verkkokaupan ylläpitäjä", "en": "web shop operator"},
    RecipientRole.finance_partner: {
        "fi": "taloushallinnon ulkoistuskumppani",
        "en": "financial administration partner",
    },
    RecipientRole.debt_collection: {"fi": "perintätoimisto", "en": "debt collection agency"},
    RecipientRole.processor: {"fi": "henkilötietojen käsittelijä", "en": "processor"},
}
