"""Where personal data may go without a recorded safeguard (R13)."""

from __future__ import annotations

# The EU member states (with Åland and the French outermost regions, which have their own
# ISO 3166-1 codes) and the other EEA states (Iceland, Liechtenstein, Norway).
EU_EEA_COUNTRIES = frozenset(
    {
        "AT", "AX", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GF", "GP",
        "GR", "HR", "HU", "IE", "IS", "IT", "LI", "LT", "LU", "LV", "MF", "MQ", "MT", "NL",
        "NO", "PL", "PT", "RE", "RO", "SE", "SI", "SK", "YT",
    }
)  # fmt: skip


def in_eu_eea(country: str) -> bool:
    return country in EU_EEA_COUNTRIES


def may_receive_data(country: str, safeguard: str | None) -> bool:
    """A recipient outside the EU/EEA receives nothing until its safeguard is recorded."""
    return in_eu_eea(country) or bool(safeguard and safeguard.strip())
