"""The Integrations page's sections, one module each; the package's __init__ assembles them."""
