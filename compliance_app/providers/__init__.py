"""Provider sessions: collect raw API data from GitHub and AWS for the checks."""
