"""compliance_app: continuous compliance for GitHub and AWS."""

__version__ = "0.1.0"
