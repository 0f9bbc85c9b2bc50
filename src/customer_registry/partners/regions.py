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

# Countries with an adequacy decision of the European Commission (GDPR Art. 45(1)): a transfer
# there needs no further safeguard. Andorra, Argentina, Canada, the Faroe Islands, Guernsey,
# Israel, the Isle of Man, Japan, Jersey, New Zealand, the Republic of Korea, Switzerland, the
# United Kingdom and Uruguay. Canada's decision covers commercial organisations (PIPEDA), which
# every recipient of this register is. The United States is left out on purpose: its decision
# (the EU-US Data Privacy Framework) covers only organisations certified under it, so there
# the certification is the recipient's own safeguard and must be recorded as one.
ADEQUACY_DECISION_COUNTRIES = frozenset(
    {"AD", "AR", "CA", "FO", "GG", "IL", "IM", "JP", "JE", "NZ", "KR", "CH", "GB", "UY"}
)


def in_eu_eea(country: str) -> bool:
    return country in EU_EEA_COUNTRIES


def has_adequacy_decision(country: str) -> bool:
    """The Commission has found the country's protection adequate (GDPR Art. 45)."""
    return country in ADEQUACY_DECISION_COUNTRIES


def may_receive_data(country: str, safeguard: str | None) -> bool:
    """A recipient outside the EU/EEA and the adequate countries receives nothing until its
    safeguard is recorded."""
    return (
        in_eu_eea(country)
        or has_adequacy_decision(country)
        or bool(safeguard and safeguard.strip())
    )
