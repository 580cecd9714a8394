"""Reusable UI pieces: the app shell and small display components."""
