"""Examples of request and response bodies for the OpenAPI document, each valid for its
schema (`json_schema_extra={"examples": [examples.NAME]}`), with made-up people and ids."""

from __future__ import annotations

from typing import Any

CUSTOMER_CREATE: dict[str, Any] = {
    "type": "private_person",
    "first_name": "Aino",
    "last_name": "Virtanen",
    "email": "aino.virtanen@example.org",
    "phone": "+358401234567",
    "address": {
        "street": "Esimerkkikatu 1 A 2",
        "postal_code": "00100",
        "city": "Helsinki",
        "country": "FI",
    },
    "language": "fi",
    "source": "shop",
}
CUSTOMER_UPDATE: dict[str, Any] = {
    "email": "aino.v@example.net",
    "address": {
        "street": "Uusikatu 5",
        "postal_code": "00200",
        "city": "Helsinki",
        "country": "FI",
    },
    "source": "customer_notice",
}
CUSTOMER_LOOKUP: dict[str, Any] = {"email": "aino.virtanen@example.org"}
CUSTOMER_LINK_CREATE: dict[str, Any] = {"recipient_id": "0193a5e0-7c1a-7d2e-9b1f-3c4d5e6f7a90"}
CUSTOMER_LINK_READ: dict[str, Any] = {
    "customer_id": "0193a5e0-7c1a-7d2e-9b1f-3c4d5e6f7a81",
    "recipient_id": "0193a5e0-7c1a-7d2e-9b1f-3c4d5e6f7a90",
}
ORDER_CREATE: dict[str, Any] = {
    "customer_id": "0193a5e0-7c1a-7d2e-9b1f-3c4d5e6f7a81",
    "number": "2026-000123",
    "ordered_on": "2026-11-20",
    "channel": "web_shop",
    "lines": [
        {
            "product_code": "KAHVI-500",
            "product_name": "Kahvi 500 g",
            "quantity": 2,
            "unit_price": "6.90",
            "vat_rate": "14",
        }
    ],
    "invoice": {"number": "INV-2026-0042", "issued_on": "2026-11-20", "due_on": "2026-12-04"},
}
ORDER_STATUS_UPDATE: dict[str, Any] = {"status": "delivered"}
INVOICE_STATUS_UPDATE: dict[str, Any] = {"status": "paid"}
CONSENT_EVENT_CREATE: dict[str, Any] = {
    "purpose": "direct_marketing",
    "decision": "forbidden",
    "channel": "email",
    "evidence": "E-mail of 2026-11-20, ticket 4711",
}
USER_CREATE: dict[str, Any] = {
    "username": "maija.meikalainen",
    "full_name": "Maija Meikäläinen",
    "role": "staff",
    "password": "a-long-password-of-hers",
    "confidentiality_committed": True,
}
RESTRICTION_CREATE: dict[str, Any] = {
    "reason": "The customer disputes the accuracy of the address (GDPR Art. 18(1)(a)).",
    "ground": "accuracy_contested",
}
RECIPIENT_CREATE: dict[str, Any] = {
    "name": "Talouskumppani Oy",
    "business_id": "0112038-9",
    "country": "FI",
    "role": "finance_partner",
}
RECIPIENT_UPDATE: dict[str, Any] = {
    "safeguard": "Standard contractual clauses of 2021-06-04, module 2"
}
API_KEY_CREATE: dict[str, Any] = {
    "name": "invoicing",
    "scopes": ["billing:read"],
    "purposes": ["invoicing"],
    "expires_in_days": 365,
}
API_KEY_ROTATE: dict[str, Any] = {"old_key_valid_for_hours": 24, "expires_in_days": 365}
GDPR_REQUEST_CREATE: dict[str, Any] = {
    "type": "access",
    "customer_id": "0193a5e0-7c1a-7d2e-9b1f-3c4d5e6f7a81",
    "channel": "letter",
    "language": "fi",
    "signed": True,
    "reference": "KIRJE-2026-041",
}
VERIFICATION: dict[str, Any] = {"method": "signed_letter", "signed": True}
EXTENSION: dict[str, Any] = {
    "months": 2,
    "reason": "The request covers ten years of orders from three systems.",
}
COMPLETION: dict[str, Any] = {"note": "Report sent by registered letter"}
REFUSAL: dict[str, Any] = {"reasons": "The requester could not be identified as the data subject."}
TOKEN_RESPONSE: dict[str, Any] = {
    "access_token": "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIwMTkzYTVlMCJ9.c2lnbmF0dXJl",
    "token_type": "bearer",
    "expires_in": 900,
}
CUSTOMER_READ: dict[str, Any] = {
    "id": "0193a5e0-7c1a-7d2e-9b1f-3c4d5e6f7a81",
    "type": "private_person",
    "first_name": "Aino",
    "last_name": "Virtanen",
    "organisation": None,
    "email": "aino.virtanen@example.org",
    "phone": "+358401234567",
    "address": {
        "street": "Esimerkkikatu 1 A 2",
        "postal_code": "00100",
        "city": "Helsinki",
        "country": "FI",
    },
    "language": "fi",
    "legal_basis": "contract",
    "source": "shop",
    "relationship_started_on": "2026-11-20",
    "relationship_ended_on": None,
    "is_contact_person": False,
    "version": 1,
    "created_at": "2026-11-20T09:15:00.000000Z",
    "updated_at": "2026-11-20T09:15:00.000000Z",
    "consents": {
        "direct_advertising": "granted",
        "distance_selling": "granted",
        "direct_marketing": "forbidden",
        "market_research": "granted",
        "opinion_research": "granted",
        "listing": "granted",
        "targeted_content": "granted",
    },
    "restricted_at": None,
}
USER_READ: dict[str, Any] = {
    "id": "0193a5e0-6b00-7a11-8c22-1d2e3f405162",
    "username": "maija.meikalainen",
    "full_name": "Maija Meikäläinen",
    "role": "staff",
    "is_active": True,
    "confidentiality_committed_at": "2026-11-20T09:15:00.000000Z",
    "created_at": "2026-11-20T09:15:00.000000Z",
    "updated_at": "2026-11-20T09:15:00.000000Z",
}
ORDER_READ: dict[str, Any] = {
    "id": "0193a5e0-8d2b-7e3f-a041-5b6c7d8e9fa2",
    "customer_id": "0193a5e0-7c1a-7d2e-9b1f-3c4d5e6f7a81",
    "number": "2026-000123",
    "ordered_on": "2026-11-20",
    "channel": "web_shop",
    "reseller_name": None,
    "currency": "EUR",
    "status": "placed",
    "lines": [
        {
            "position": 1,
            "product_code": "KAHVI-500",
            "product_name": "Kahvi 500 g",
            "quantity": 2,
            "unit_price": "6.90",
            "vat_rate": "14.00",
            "net": "13.80",
            "vat": "1.93",
            "gross": "15.73",
        }
    ],
    "totals": {"net": "13.80", "vat": "1.93", "gross": "15.73"},
    "invoice": {
        "number": "INV-2026-0042",
        "issued_on": "2026-11-20",
        "due_on": "2026-12-04",
        "status": "open",
        "updated_at": "2026-11-20T09:15:00.000000Z",
    },
    "version": 1,
    "created_at": "2026-11-20T09:15:00.000000Z",
    "updated_at": "2026-11-20T09:15:00.000000Z",
}
CONSENT_EVENT_READ: dict[str, Any] = {
    "id": 1,
    "purpose": "direct_marketing",
    "decision": "forbidden",
    "recorded_at": "2026-11-20T09:15:00.000000Z",
    "recorded_by_type": "user",
    "recorded_by_id": "0193a5e0-5a00-7b22-8d33-2e3f40516273",
    "channel": "email",
    "evidence": "E-mail of 2026-11-20, ticket 4711",
    "privacy_notice_version": "1",
}
RECIPIENT_READ: dict[str, Any] = {
    "id": "0193a5e0-9e3c-7f40-b152-6c7d8e9fa0b3",
    "name": "Talouskumppani Oy",
    "business_id": "0112038-9",
    "country": "FI",
    "role": "finance_partner",
    "safeguard": None,
    "in_eu_eea": True,
    "has_adequacy_decision": False,
    "may_receive_data": True,
    "version": 1,
    "created_at": "2026-11-20T09:15:00.000000Z",
    "updated_at": "2026-11-20T09:15:00.000000Z",
}
API_KEY_CREATED: dict[str, Any] = {
    "id": "0193a5e0-af4d-7051-8263-7d8e9fa0b1c4",
    "recipient_id": "0193a5e0-9e3c-7f40-b152-6c7d8e9fa0b3",
    "name": "invoicing",
    "prefix": "hM3AJBC91A9w",
    "scopes": ["billing:read"],
    "purposes": ["invoicing"],
    "allowed_networks": [],
    "created_at": "2026-11-20T09:15:00.000000Z",
    "expires_at": "2027-11-20T09:15:00.000000Z",
    "revoked_at": None,
    "last_used_at": None,
    "replaces_id": None,
    "key": "crk_hM3AJBC91A9w_3BBrJw829ydqmb9SEOtMSOoVuek8l9by0KIAxQ",
}
GDPR_REQUEST_READ: dict[str, Any] = {
    "id": "0193a5e0-b05e-7162-9374-8e9fa0b1c2d5",
    "type": "access",
    "customer_id": "0193a5e0-7c1a-7d2e-9b1f-3c4d5e6f7a81",
    "requester": None,
    "channel": "letter",
    "language": "fi",
    "status": "received",
    "received_at": "2026-11-20T09:15:00.000000Z",
    "due_on": "2026-12-20",
    "deadline_on": "2026-12-20",
    "overdue": False,
    "extension_reason": None,
    "extended_at": None,
    "signed": True,
    "verification_method": None,
    "verified_by": None,
    "verified_at": None,
    "closed_by": None,
    "closed_at": None,
    "details": {},
    "outcome": None,
    "created_at": "2026-11-20T09:15:00.000000Z",
    "updated_at": "2026-11-20T09:15:00.000000Z",
}
RESTRICTION_READ: dict[str, Any] = {
    "customer_id": "0193a5e0-7c1a-7d2e-9b1f-3c4d5e6f7a81",
    "restricted": True,
    "restricted_at": "2026-11-20T09:15:00.000000Z",
    "reason": "The customer disputes the accuracy of the address (GDPR Art. 18(1)(a)).",
    "ground": "accuracy_contested",
    "restricted_by": "0193a5e0-5a00-7b22-8d33-2e3f40516273",
}
ADDRESS_UPDATE_REPORT: dict[str, Any] = {
    "dry_run": True,
    "lines": 3,
    "matched": 2,
    "updated": 1,
    "unchanged": 1,
    "unmatched": 0,
    "conflicts": 0,
    "skipped": 0,
    "malformed": 1,
    "problems": [
        {
            "line": 3,
            "outcome": "malformed",
            "customer_id": None,
            "detail": "postal_code: a Finnish postal code has five digits",
        }
    ],
}
BILLING_ORDER: dict[str, Any] = {
    **ORDER_READ,
    "customer": {
        "id": CUSTOMER_READ["id"],
        "first_name": "Aino",
        "last_name": "Virtanen",
        "organisation": None,
        "email": "aino.virtanen@example.org",
        "address": CUSTOMER_READ["address"],
    },
}
