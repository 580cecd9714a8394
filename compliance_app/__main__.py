"""Entry point for `python -m compliance_app`."""

from compliance_app.cli import main

main()
