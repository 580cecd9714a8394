"""One module per page (with its own state); compliance_app.py imports them all."""
