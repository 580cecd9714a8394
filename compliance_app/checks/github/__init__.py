"""GitHub checks (PyGithub via providers/github.py)."""
