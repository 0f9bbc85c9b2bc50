"""Errors of recipients, API keys and disclosure purposes."""

from __future__ import annotations

from customer_registry.core.errors import Conflict, Forbidden, RegistryError, UnprocessableEntity


class SafeguardRequired(Conflict):
    code = "safeguard-required"
    title = "Safeguard required"


class TransferNotAllowed(Forbidden):
    code = "safeguard-required"
    title = "Transfer outside the EU/EEA without a safeguard"


class PurposeRequired(RegistryError):
    status_code = 400
    code = "purpose-required"
    title = "Disclosure purpose required"


class InvalidPurpose(UnprocessableEntity):
    code = "invalid-purpose"
    title = "Invalid disclosure purpose"


class PurposeNotGranted(Forbidden):
    code = "purpose-not-granted"
    title = "Disclosure purpose not granted"


class KeyNotUsable(Conflict):
    code = "api-key-not-usable"
    title = "API key revoked or expired"


# What a request with an API key can be refused with before its route runs (R13, R15).
API_KEY_ERRORS = (TransferNotAllowed, PurposeNotGranted, InvalidPurpose)
