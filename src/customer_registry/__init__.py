"""customer-registry: an audited GDPR customer register."""

__version__ = "0.1.0"
