"""Hostile input thrown at every way in: service entry points, CLI commands, HTTP routes, form handlers.

The property everywhere: a clear refusal or a correct result, never a crash, a 500, a traceback or a
half-done write. strategies.py holds the input, outcome.py the shared checks.
"""
