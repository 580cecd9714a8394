"""States shared by several pages (the signed-in user, the current organization)."""
