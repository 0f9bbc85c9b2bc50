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

# The notice's section on the web site's cookies and analytics (R18): text only, the register
# itself sets no cookies.
COOKIES: list[dict[Language, str]] = [
    {
        "fi": 'Käytämme sivuillamme evästeitä ("cookies"). Eväste on pieni, käyttäjän '
        "tietokoneelle lähetettävä ja siellä säilytettävä tekstitiedosto. Evästeet eivät "
        "vahingoita käyttäjien tietokoneita tai tiedostoja. Evästeiden käytön ensisijaisena "
        "tarkoituksena on parantaa ja mukauttaa vierailijan käyttökokemusta sivustolla sekä "
        "analysoida ja parantaa sivuston toimivuutta ja sisältöä.",
        "en": "Our web site uses cookies. A cookie is a small text file sent to the user's "
        "computer and kept there. Cookies do not harm users' computers or files. Their main "
        "purpose is to improve and adapt the visitor's experience of the site and to analyse "
        "and improve the site's functioning and content.",
    },
    {
        "fi": "Evästeiden avulla kerättyjä tietoja voidaan myös hyödyntää viestinnän ja "
        "markkinoinnin kohdentamisessa sekä markkinointitoimenpiteiden optimoinnissa. "
        "Vierailijaa ei voida tunnistaa pelkkien evästeiden avulla. Evästeiden avulla saatua "
        "tietoa voidaan kuitenkin liittää käyttäjältä mahdollisesti muussa yhteydessä "
        "saatuihin tietoihin, esimerkiksi käyttäjän täyttäessä lomakkeen sivustollamme.",
        "en": "Information collected with cookies may also be used to target communication "
        "and marketing and to optimise marketing. A visitor cannot be identified by cookies "
        "alone. Information obtained with cookies may, however, be combined with information "
        "the user has given in another context, for example when filling in a form on our "
        "site.",
    },
    {
        "fi": "Evästeiden avulla kerätään seuraavanlaisia tietoja: vierailijan IP-osoite, "
        "vierailun ajankohta, selatut sivut ja sivujen katseluajat sekä vierailijan selain.",
        "en": "Cookies collect the following information: the visitor's IP address, the time "
        "of the visit, the pages browsed and how long they were viewed, and the visitor's "
        "browser.",
    },
    {
        "fi": "Sinun oikeutesi: sivuillamme vierailevalla käyttäjällä on mahdollisuus koska "
        "tahansa estää evästeiden käyttö muuttamalla selaimensa asetuksia. Useimmat "
        "selainohjelmat mahdollistavat evästetoiminnon poiskytkemisen ja jo tallennettujen "
        "evästeiden poistamisen. Evästeiden käytön estäminen saattaa vaikuttaa sivuston "
        "toiminnallisuuteen.",
        "en": "Your rights: a visitor to our site may block cookies at any time by changing "
        "the browser's settings. Most browsers allow cookies to be turned off and stored "
        "cookies to be deleted. Blocking cookies may affect how the site works.",
    },
    {
        "fi": "Google Analytics: sivustolta kerätään käyttöstatistiikkaa Google Analytics "
        "-palveluun, jonka tarkoituksena on sivuston seuranta, kehittäminen ja markkinoinnin "
        "suunnitteleminen. Kerättävästä datasta ei voida yksilöidä tietoja yksittäiseen "
        "käyttäjään tai henkilöön.",
        "en": "Google Analytics: usage statistics of the site are collected in the Google "
        "Analytics service, to follow and develop the site and to plan marketing. The data "
        "collected cannot be traced to an individual user or person.",
    },
    {
        "fi": "Lisäksi sivustolla on käytössä kohderyhmätieto- ja aihepiiritiedon keräys "
        "(Google Analytics Demographics), jolla tallennetaan käyttäjästä muun muassa ikä, "
        "sukupuoli ja käyttäjän aihepiirit. Näiden tietojen keräämiseen liittyviä asetuksia "
        "voit muuttaa omalla Google-tililläsi osoitteessa https://www.google.com/settings/ads.",
        "en": "The site also collects audience and interest data (Google Analytics "
        "Demographics), which records among other things the user's age, gender and "
        "interests. You can change the settings for this collection in your own Google "
        "account at https://www.google.com/settings/ads.",
    },
    {
        "fi": "Google Analytics -seurannan voit halutessasi ottaa pois käytöstä "
        "Chrome-selaimen lisäosalla.",
        "en": "If you wish, you can turn Google Analytics tracking off with an add-on for the "
        "Chrome browser.",
    },
]
