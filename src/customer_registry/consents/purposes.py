"""The purposes a customer can forbid, and the state of each before any decision is recorded.

The built-in defaults follow the privacy notice: it tells customers that they may *forbid*
listing (R5), direct advertising, distance selling, market and opinion research (R20) and
targeted content (R2), so those are allowed until forbidden. Direct marketing is opt-in:
electronic direct marketing to private persons needs their prior consent (Finnish
Information Society Code, 200 §). `CUSTOMER_REGISTRY_CONSENT_DEFAULTS` overrides any of them.
"""

from __future__ import annotations

from collections.abc import Mapping

from customer_registry.models import ConsentDecision, Purpose

BUILT_IN_DEFAULTS: Mapping[Purpose, ConsentDecision] = {
    Purpose.direct_advertising: ConsentDecision.granted,
    Purpose.distance_selling: ConsentDecision.granted,
    Purpose.direct_marketing: ConsentDecision.forbidden,
    Purpose.market_research: ConsentDecision.granted,
    Purpose.opinion_research: ConsentDecision.granted,
    Purpose.listing: ConsentDecision.granted,
    Purpose.targeted_content: ConsentDecision.granted,
}

# The purposes a mailing-label run for direct advertising needs (R5).
MAILING_LABEL_PURPOSES = (Purpose.listing, Purpose.direct_advertising)


def effective_defaults(
    overrides: Mapping[Purpose, ConsentDecision],
) -> dict[Purpose, ConsentDecision]:
    """The default of every purpose: built in, with configured overrides applied."""
    return {purpose: overrides.get(purpose, BUILT_IN_DEFAULTS[purpose]) for purpose in Purpose}
