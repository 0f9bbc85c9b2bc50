"""The console's words in Finnish and English: one entry per text, (Finnish, English)."""

from __future__ import annotations

from collections.abc import Callable

TEXTS: dict[str, tuple[str, str]] = {
    # Layout
    "app.name": ("Asiakasrekisteri", "Customer register"),
    "app.console": ("Rekisterin hallinta", "Register console"),
    "skip": ("Siirry sisältöön", "Skip to content"),
    "nav.label": ("Päävalikko", "Main menu"),
    "nav.today": ("Tänään", "Today"),
    "nav.customers": ("Asiakkaat", "Customers"),
    "nav.requests": ("Pyynnöt", "Requests"),
    "nav.exports": ("Osoitetarrat", "Mailing labels"),
    "nav.audit": ("Lokitiedot", "Audit log"),
    "nav.admin": ("Ylläpito", "Administration"),
    "signed_in_as": ("Kirjautunut", "Signed in as"),
    "sign_out": ("Kirjaudu ulos", "Sign out"),
    "language": ("Kieli", "Language"),
    "language.change": ("Vaihda kieli", "Change language"),
    "language.fi": ("suomi", "Finnish"),
    "language.en": ("englanti", "English"),
    "role.admin": ("ylläpitäjä", "administrator"),
    "role.privacy_officer": ("tietosuojavastaava", "privacy officer"),
    "role.staff": ("henkilökunta", "staff"),
    "save": ("Tallenna", "Save"),
    "search": ("Hae", "Search"),
    "filter": ("Rajaa", "Filter"),
    "yes": ("kyllä", "yes"),
    "no": ("ei", "no"),
    "none": ("ei ole", "none"),
    "any": ("kaikki", "any"),
    "back": ("Takaisin", "Back"),
    "print": ("Tulosta", "Print"),
    "open": ("Avaa", "Open"),
    "next_page": ("Seuraava sivu", "Next page"),
    # Sign-in
    "sign_in.title": ("Kirjaudu sisään", "Sign in"),
    "sign_in.username": ("Käyttäjätunnus", "Username"),
    "sign_in.password": ("Salasana", "Password"),
    "sign_in.submit": ("Kirjaudu", "Sign in"),
    "sign_in.note": (
        "Rekisteriä saavat käyttää vain nimetyt työntekijät henkilökohtaisella tunnuksella, "
        "kun vaitiolositoumus on allekirjoitettu.",
        "Only designated employees may use the register, each with a personal account and a "
        "signed confidentiality commitment.",
    ),
    "sign_in.failed": ("Kirjautuminen epäonnistui", "Sign-in failed"),
    # Problems
    "problem.title": ("Pyyntöä ei voitu tehdä", "The request could not be carried out"),
    "problem.status": ("Tila", "Status"),
    "problem.reference": ("Viite", "Reference"),
    "problem.forbidden": (
        "Roolisi ei salli tätä toimintoa.",
        "Your role does not allow this.",
    ),
    "problem.csrf": (
        "Lomaketta ei lähetetty tästä istunnosta. Avaa sivu uudelleen ja lähetä lomake sieltä.",
        "The form was not sent from this session. Open the page again and send it from there.",
    ),
    "problem.not_found": ("Sivua ei löydy.", "There is no such page."),
    "problem.invalid": ("Lomakkeessa on virheitä", "The form has errors"),
    # Today
    "today.title": ("Tänään", "Today"),
    "today.open_requests": ("Avoimet pyynnöt määräajan mukaan", "Open requests by deadline"),
    "today.no_requests": ("Ei avoimia pyyntöjä.", "No open requests."),
    "today.requests_hidden": (
        "Rekisteröidyn pyyntöjen käsittely kuuluu tietosuojavastaavalle.",
        "Data-subject requests are handled by the privacy officer.",
    ),
    "today.overdue": ("Myöhässä", "Overdue"),
    "today.due_soon": ("Erääntyy 7 päivän sisällä", "Due within 7 days"),
    "today.days_left": ("Päiviä jäljellä", "Days left"),
    "today.counts_by_type": ("Avoimet pyynnöt lajeittain", "Open requests by type"),
    "today.counts_by_status": ("Avoimet pyynnöt tiloittain", "Open requests by state"),
    "today.chain": ("Lokiketjun viimeisin tarkistus", "Last verification of the audit chain"),
    "today.chain_never": (
        "Lokiketjua ei ole tarkistettu konsolista.",
        "The audit chain has not been verified from the console.",
    ),
    "today.chain_ok": ("eheä", "intact"),
    "today.chain_broken": ("VIRHEITÄ", "PROBLEMS FOUND"),
    "count": ("Määrä", "Count"),
    # Requests
    "requests.title": ("Rekisteröidyn pyynnöt", "Data-subject requests"),
    "requests.new": ("Kirjaa saapunut pyyntö", "Register a received request"),
    "requests.only_open": ("Vain avoimet", "Open only"),
    "requests.none": ("Ei pyyntöjä.", "No requests."),
    "request.title": ("Pyyntö", "Request"),
    "request.type": ("Laji", "Type"),
    "request.status": ("Tila", "State"),
    "request.channel": ("Saapumistapa", "Channel"),
    "request.language": ("Vastauskieli", "Language of the answer"),
    "request.received_at": ("Saapunut", "Received"),
    "request.due_on": ("Määräaika (1 kk)", "Deadline (1 month)"),
    "request.deadline_on": ("Voimassa oleva määräaika", "Deadline in force"),
    "request.customer": ("Asiakas", "Customer"),
    "request.customer_id": ("Asiakkaan tunniste", "Customer id"),
    "request.requester_name": ("Pyytäjän nimi", "Requester's name"),
    "request.requester_email": ("Pyytäjän sähköposti", "Requester's e-mail"),
    "request.requester_address": ("Pyytäjän postiosoite", "Requester's postal address"),
    "request.requester_hint": (
        "Jos asiakasta ei löydy rekisteristä, kirjaa pyytäjän ilmoittamat tunnistetiedot.",
        "If the customer is not found, record the identifying details the requester gave.",
    ),
    "request.signed": ("Kirje on allekirjoitettu", "The letter is signed"),
    "request.reference": (
        "Kirjeen tai viestin viite (esim. arkistotunnus)",
        "Reference of the letter or message (e.g. archive number)",
    ),
    "request.signed_letter": ("Allekirjoitettu kirje", "Signed letter"),
    "request.reason": ("Pyytäjän perustelu", "The requester's reason"),
    "request.grounds": ("Korjauksen perusteet", "Grounds for the correction"),
    "request.purposes": ("Vastustetut käyttötarkoitukset", "Purposes objected to"),
    "request.changes": ("Korjattavat tiedot", "Corrected values"),
    "request.submit": ("Kirjaa pyyntö", "Register the request"),
    "request.verification": ("Henkilöllisyyden varmistus", "Identity verification"),
    "request.verify": ("Merkitse henkilöllisyys varmistetuksi", "Mark the identity verified"),
    "request.method": ("Varmistustapa", "Method"),
    "request.verified_at": ("Varmistettu", "Verified"),
    "request.extend": ("Jatka määräaikaa", "Extend the deadline"),
    "request.extend_note": (
        "Määräaikaa voi jatkaa kerran enintään kahdella kuukaudella ennen kuin ensimmäinen "
        "kuukausi päättyy; perustelut kerrotaan pyytäjälle.",
        "The deadline can be extended once, by at most two months, before the first month "
        "ends; the reasons are given to the requester.",
    ),
    "request.months": ("Kuukautta", "Months"),
    "request.extension_reason": ("Jatkamisen syy", "Reason for the extension"),
    "request.extended": ("Määräaikaa jatkettu", "Deadline extended"),
    "request.blockers": ("Poistoa estävät seikat", "What blocks erasure"),
    "request.no_blockers": (
        "Mikään ei estä poistoa: kaikki henkilötiedot poistetaan.",
        "Nothing blocks erasure: all personal data will be erased.",
    ),
    "request.blocker_until": ("Voimassa", "Until"),
    "request.blocker_open_ended": ("kunnes peruste päättyy", "until the ground ends"),
    "request.keeps": ("Säilytettävät tiedot", "Data kept"),
    "request.complete": ("Toteuta pyyntö", "Carry out the request"),
    "request.note": ("Muistiinpano", "Note"),
    "request.refuse": ("Epää pyyntö", "Refuse the request"),
    "request.reasons": ("Epäämisen perustelut", "Reasons for the refusal"),
    "request.outcome": ("Ratkaisu", "Decision"),
    "request.letter": ("Päätöskirje", "Decision letter"),
    "request.letter_pdf": ("Päätöskirje (PDF)", "Decision letter (PDF)"),
    "request.extension_letter": ("Kirje määräajan jatkamisesta", "Letter on the extension"),
    "request.extension_letter_pdf": (
        "Kirje määräajan jatkamisesta (PDF)",
        "Letter on the extension (PDF)",
    ),
    "request.access_report": ("Tarkastusraportti", "Access report"),
    "request.portability_archive": ("Siirrettävät tiedot (zip)", "Portability archive (zip)"),
    "request.erased_fields": ("Poistetut tiedot", "Erased data"),
    "request.actions": ("Toimenpiteet", "Actions"),
    "request.documents": ("Asiakirjat", "Documents"),
    "request.documents_later": (
        "Päätöskirje on saatavilla, kun pyyntö on ratkaistu.",
        "The decision letter is available once the request is decided.",
    ),
    "request.days_late": ("päivää myöhässä", "days late"),
    # Customers
    "customers.title": ("Asiakkaat", "Customers"),
    "customers.query": ("Nimi, sähköposti tai organisaatio", "Name, e-mail or organisation"),
    "customers.none": ("Ei hakua vastaavia asiakkaita.", "No customers match."),
    "customers.search_hint": (
        "Jokainen haun tuloksena näytetty asiakas kirjataan lokiin luettuna.",
        "Every customer shown in the results is logged as read.",
    ),
    "customer.name": ("Nimi", "Name"),
    "customer.type": ("Asiakastyyppi", "Customer type"),
    "customer.email": ("Sähköposti", "E-mail"),
    "customer.phone": ("Puhelin", "Phone"),
    "customer.organisation": ("Organisaatio", "Organisation"),
    "customer.address": ("Postiosoite", "Postal address"),
    "customer.language": ("Asiointikieli", "Language"),
    "customer.source": ("Tietolähde", "Source"),
    "customer.legal_basis": ("Käsittelyperuste", "Legal basis"),
    "customer.created_at": ("Luotu", "Created"),
    "customer.data": ("Tiedot", "Data"),
    "customer.read_note": (
        "Sivun avaaminen kirjataan lokiin samoin kuin rajapinnan kautta tehty luku.",
        "Opening this page is logged exactly as a read through the API.",
    ),
    "customer.restricted_purpose": (
        "Käsittelyä on rajoitettu. Kerro lukemisen peruste:",
        "Processing is restricted. State why you read the record:",
    ),
    "purpose.legal_claims": ("oikeudellinen vaatimus", "legal claims"),
    "purpose.data_subject_request": ("rekisteröidyn pyyntö", "data-subject request"),
    "customer.restriction": ("Käsittelyn rajoitus", "Restriction of processing"),
    "customer.restricted_since": ("Rajoitettu alkaen", "Restricted since"),
    "customer.not_restricted": ("Käsittelyä ei ole rajoitettu.", "Processing is not restricted."),
    "customer.consents": ("Suostumukset ja kiellot", "Consents and objections"),
    "customer.consent_history": ("Kirjausten historia", "History of decisions"),
    "customer.default": ("oletus", "default"),
    "customer.record_consent": (
        "Kirjaa kielto tai suostumus",
        "Record a prohibition or a consent",
    ),
    "customer.evidence": (
        "Todiste (esim. puhelun ajankohta, viestin viite)",
        "Evidence (e.g. time of the call, reference of the message)",
    ),
    "customer.orders": ("Tilaukset ja laskut", "Orders and invoices"),
    "customer.no_orders": ("Ei tilauksia.", "No orders."),
    "customer.disclosures": ("Luovutukset kumppaneille", "Disclosures to partners"),
    "customer.no_disclosures": ("Ei luovutuksia.", "No disclosures."),
    "customer.readers": ("Kuka on käsitellyt tietoja", "Who read the record"),
    "customer.readers_hidden": (
        "Lokitiedot näkyvät tietosuojavastaavalle ja ylläpitäjälle.",
        "The audit trail is shown to the privacy officer and administrators.",
    ),
    "customer.new_request": (
        "Kirjaa tälle asiakkaalle pyyntö",
        "Register a request for this customer",
    ),
    "decision": ("Päätös", "Decision"),
    "purpose": ("Käyttötarkoitus", "Purpose"),
    "channel": ("Kanava", "Channel"),
    "recorded_at": ("Kirjattu", "Recorded"),
    "recorded_by": ("Kirjaaja", "Recorded by"),
    "order.number": ("Tilaus", "Order"),
    "order.ordered_at": ("Tilattu", "Ordered"),
    "order.status": ("Tila", "State"),
    "order.total": ("Summa", "Total"),
    "order.invoice": ("Lasku", "Invoice"),
    "order.invoice_status": ("Laskun tila", "Invoice state"),
    "disclosure.recipient": ("Vastaanottaja", "Recipient"),
    "disclosure.purpose": ("Peruste", "Purpose"),
    "disclosure.at": ("Luovutettu", "Disclosed"),
    "disclosure.fields": ("Tiedot", "Fields"),
    "audit.occurred_at": ("Aika", "Time"),
    "audit.action": ("Toiminto", "Action"),
    "audit.actor": ("Tekijä", "Actor"),
    "audit.entity": ("Kohde", "Entity"),
    "audit.fields": ("Tiedot", "Fields"),
    "audit.purpose": ("Peruste", "Purpose"),
    # Exports
    "exports.title": ("Osoitetarrat suoramainontaan", "Mailing labels for direct advertising"),
    "exports.note": (
        "Mukaan eivät tule asiakkaat, jotka ovat kieltäneet luovutuksen tai suoramainonnan, "
        "joiden käsittelyä on rajoitettu, joiden tiedot on poistettu tai joiden "
        "asiakassuhde on päättynyt, eivätkä asiakkaat ilman postiosoitetta. Jokainen "
        "tarralle tuleva henkilö kirjataan lokiin.",
        "Left out: everyone who forbade listing or direct advertising, restricted, erased "
        "or anonymised customers, ended relationships, and customers without a postal "
        "address. Every person on a label is logged.",
    ),
    "exports.left_out": ("Pois jätetyt", "Left out"),
    "exports.included": ("Tarroille tulee", "On the labels"),
    "exports.format": ("Muoto", "Format"),
    "exports.postal_code_prefix": ("Postinumeron alku", "Postal code begins with"),
    "exports.download": ("Lataa tarrat", "Download the labels"),
    "exports.count_note": (
        "Pelkät lukumäärät, ei henkilötietoja.",
        "Counts only, no personal data.",
    ),
    "left_out.forbidden": (
        "kieltänyt luovutuksen tai suoramainonnan",
        "forbade listing or direct advertising",
    ),
    "left_out.restricted": ("käsittely rajoitettu", "processing restricted"),
    "left_out.erased": ("tiedot poistettu tai anonymisoitu", "erased or anonymised"),
    "left_out.ended": ("asiakassuhde päättynyt", "relationship ended"),
    "left_out.no_address": ("ei postiosoitetta", "no postal address"),
    # Audit
    "audit.title": ("Lokitiedot", "Audit log"),
    "audit.customer_id": ("Asiakkaan tunniste", "Customer id"),
    "audit.actor_id": ("Tekijän tunniste", "Actor id"),
    "audit.from": ("Alkaen", "From"),
    "audit.to": ("Päättyen", "To"),
    "audit.none": ("Ei lokitapahtumia.", "No audit events."),
    "audit.verify": ("Tarkista lokiketju", "Verify the audit chain"),
    "audit.verify_note": (
        "Tarkistus laskee ketjun jokaisen tiivisteen uudelleen ja kertoo, onko tapahtumia "
        "muutettu, poistettu tai siirretty.",
        "The verification recomputes every hash of the chain and reports events that were "
        "edited, deleted or moved.",
    ),
    "audit.verified": ("Ketju tarkistettu", "Chain verified"),
    "audit.entries": ("Tapahtumia ketjussa", "Entries in the chain"),
    "audit.problems": ("Havaitut ongelmat", "Problems found"),
    "audit.unsealed": ("Ketjuun liittämättömiä vanhoja tapahtumia", "Old events not in the chain"),
    # Administration
    "admin.title": ("Ylläpito", "Administration"),
    "admin.accounts": ("Käyttäjätunnukset", "Accounts"),
    "admin.username": ("Käyttäjätunnus", "Username"),
    "admin.full_name": ("Nimi", "Full name"),
    "admin.role": ("Rooli", "Role"),
    "admin.password": ("Salasana (vähintään 12 merkkiä)", "Password (at least 12 characters)"),
    "admin.active": ("Käytössä", "Active"),
    "admin.commitment": ("Vaitiolositoumus", "Confidentiality commitment"),
    "admin.commitment_given": (
        "Vaitiolositoumus on allekirjoitettu",
        "The confidentiality commitment is signed",
    ),
    "admin.record_commitment": ("Kirjaa vaitiolositoumus", "Record the commitment"),
    "admin.disable": ("Poista käytöstä", "Disable"),
    "admin.enable": ("Ota käyttöön", "Enable"),
    "admin.create_account": ("Luo tunnus", "Create the account"),
    "admin.recipients": ("Vastaanottajat ja API-avaimet", "Recipients and API keys"),
    "admin.recipient_name": ("Vastaanottaja", "Recipient"),
    "admin.recipient_role": ("Rooli", "Role"),
    "admin.country": ("Maa", "Country"),
    "admin.create_recipient": ("Lisää vastaanottaja", "Add the recipient"),
    "admin.keys": ("Avaimet", "Keys"),
    "admin.scopes": ("Oikeudet", "Scopes"),
    "admin.purposes": ("Luovutusperusteet", "Disclosure purposes"),
    "admin.expires_at": ("Voimassa", "Expires"),
    "admin.create_key": ("Luo avain", "Create a key"),
    "admin.rotate_key": ("Vaihda avain", "Rotate"),
    "admin.revoke_key": ("Mitätöi", "Revoke"),
    "admin.revoked": ("mitätöity", "revoked"),
    "admin.key_once": (
        "Avain näytetään vain tämän kerran. Kopioi se nyt ja toimita se vastaanottajalle "
        "turvallista kanavaa pitkin.",
        "The key is shown this once only. Copy it now and hand it to the recipient over a "
        "safe channel.",
    ),
    "admin.key_prefix": ("Tunniste", "Prefix"),
    # Letters
    "letter.subject": ("Asia", "Subject"),
    "letter.date": ("Päiväys", "Date"),
    "letter.signature": ("Tietosuojavastaava", "Privacy officer"),
    "letter.register": ("Asiakasrekisteri", "Customer register"),
}

# Values of the register's enumerations, shown as words.
VALUES: dict[str, tuple[str, str]] = {
    "request_type.access": ("tarkastuspyyntö", "access"),
    "request_type.portability": ("tietojen siirto", "portability"),
    "request_type.rectification": ("tietojen korjaaminen", "rectification"),
    "request_type.erasure": ("tietojen poistaminen", "erasure"),
    "request_type.restriction": ("käsittelyn rajoittaminen", "restriction"),
    "request_type.objection": ("käsittelyn vastustaminen", "objection"),
    "request_status.received": ("vastaanotettu", "received"),
    "request_status.verified": ("henkilöllisyys varmistettu", "identity verified"),
    "request_status.completed": ("toteutettu", "completed"),
    "request_status.refused": ("evätty", "refused"),
    "request_channel.letter": ("kirje", "letter"),
    "request_channel.email": ("sähköposti", "e-mail"),
    "request_channel.web_shop": ("verkkokauppa", "web shop"),
    "request_channel.in_person": ("asiakaspalvelu paikan päällä", "in person"),
    "request_channel.phone": ("puhelin", "phone"),
    "verification.signed_letter": ("allekirjoitettu kirje", "signed letter"),
    "verification.strong_electronic_identification": (
        "vahva sähköinen tunnistus",
        "strong electronic identification",
    ),
    "verification.identity_document_in_person": (
        "henkilöllisyystodistus paikan päällä",
        "identity document in person",
    ),
    "verification.registered_email_address": (
        "rekisteriin merkitty sähköpostiosoite",
        "registered e-mail address",
    ),
    "verification.web_shop_account": ("verkkokaupan tili", "web shop account"),
    "consent_purpose.direct_advertising": ("suoramainonta", "direct advertising"),
    "consent_purpose.distance_selling": ("etämyynti", "distance selling"),
    "consent_purpose.direct_marketing": ("suoramarkkinointi", "direct marketing"),
    "consent_purpose.market_research": ("markkinatutkimus", "market research"),
    "consent_purpose.opinion_research": ("mielipidetutkimus", "opinion research"),
    "consent_purpose.listing": (
        "luovutus osoiteluetteloihin (osoitetarrat)",
        "listing (mailing labels)",
    ),
    "consent_purpose.targeted_content": ("kohdennettu sisältö", "targeted content"),
    "consent_decision.granted": ("suostumus", "granted"),
    "consent_decision.forbidden": ("kielletty", "forbidden"),
    "consent_channel.customer_service": (
        "asiakaspalvelu (puhelin tai käynti)",
        "customer service (phone or visit)",
    ),
    "consent_channel.email": ("sähköposti", "e-mail"),
    "consent_channel.contact_person": ("yhteyshenkilö", "contact person"),
    "consent_channel.web_shop": ("verkkokauppa", "web shop"),
    "consent_channel.letter": ("kirje", "letter"),
    "customer_type.company": ("yritys", "company"),
    "customer_type.private_person": ("yksityishenkilö", "private person"),
    "customer_type.public_administration": ("julkinen hallinto", "public administration"),
    "customer_type.authority": ("viranomainen", "authority"),
    "customer_type.non_profit": ("yleishyödyllinen yhteisö", "non-profit organisation"),
    "order_status.placed": ("tilattu", "placed"),
    "order_status.delivered": ("toimitettu", "delivered"),
    "order_status.cancelled": ("peruttu", "cancelled"),
    "order_status.returned": ("palautettu", "returned"),
    "invoice_status.open": ("avoin", "open"),
    "invoice_status.paid": ("maksettu", "paid"),
    "invoice_status.in_collection": ("perinnässä", "in collection"),
    "invoice_status.credited": ("hyvitetty", "credited"),
    "source.shop": ("myymälä", "shop"),
    "source.web_shop": ("verkkokauppa", "web shop"),
    "source.reseller": ("jälleenmyyjä", "reseller"),
    "source.registration": ("rekisteröityminen", "registration"),
    "source.customer_notice": ("asiakkaan oma ilmoitus", "the customer's own notice"),
    "source.address_update_service": ("osoitepäivityspalvelu", "address update service"),
    "source.subcontractor": ("alihankkija", "subcontractor"),
    "legal_basis.contract": ("sopimus", "contract"),
    "legal_basis.legitimate_interest": ("oikeutettu etu", "legitimate interest"),
    "legal_basis.consent": ("suostumus", "consent"),
    "legal_basis.legal_obligation": ("lakisääteinen velvoite", "legal obligation"),
    "field.first_name": ("etunimi", "first name"),
    "field.last_name": ("sukunimi", "last name"),
    "field.organisation_name": ("organisaation nimi", "organisation name"),
    "field.organisation_business_id": ("Y-tunnus", "business id"),
    "field.email": ("sähköpostiosoite", "e-mail address"),
    "field.email_normalized": ("sähköpostiosoite (hakua varten)", "e-mail address (for search)"),
    "field.phone": ("puhelinnumero", "phone number"),
    "field.street": ("katuosoite", "street address"),
    "field.postal_code": ("postinumero", "postal code"),
    "field.city": ("postitoimipaikka", "city"),
    "blocker.contact_person": (
        "Henkilö toimii yrityksen tai yhteisön yhteyshenkilönä, eikä hänen tietojaan voi "
        "poistaa sinä aikana (tietosuojaseloste).",
        "The person is an active contact person of an organisation; their data cannot be "
        "erased during that time (privacy notice).",
    ),
    "blocker.open_invoice": (
        "Laskua ei ole maksettu: sopimus ja saatava edellyttävät laskutustietojen "
        "säilyttämistä, kunnes lasku on maksettu (EU:n tietosuoja-asetus 17 artiklan "
        "3 kohdan e alakohta).",
        "An invoice is open: the contract and the claim need the billing data until it is "
        "paid (GDPR Art. 17(3)(e)).",
    ),
    "blocker.debt_collection": (
        "Lasku on perinnässä: oikeudellisen vaatimuksen hoitaminen edellyttää "
        "laskutustietojen säilyttämistä (EU:n tietosuoja-asetus 17 artiklan 3 kohdan "
        "e alakohta).",
        "An invoice is in debt collection: the legal claim needs the billing data (GDPR "
        "Art. 17(3)(e)).",
    ),
    "blocker.bookkeeping": (
        "Kirjanpitolaki (2 luvun 10 §) velvoittaa säilyttämään laskut tilikauden päättymisestä "
        "lukien säädetyn ajan (EU:n tietosuoja-asetus 17 artiklan 3 kohdan b alakohta); vain "
        "laskulla olevat tiedot säilytetään.",
        "The Accounting Act (Kirjanpitolaki 2:10) requires invoices to be kept for the "
        "statutory period from the end of the financial year (GDPR Art. 17(3)(b)); only the "
        "invoice data is kept.",
    ),
}


def translator(language: str) -> Callable[[str], str]:
    """A function from a text's key to its words in `language` (the key itself if unknown)."""
    index = 0 if language == "fi" else 1

    def translate(key: str) -> str:
        entry = TEXTS.get(key) or VALUES.get(key)
        return entry[index] if entry else key

    return translate
