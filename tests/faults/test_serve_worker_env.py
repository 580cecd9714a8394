"""The worker `serve` starts runs with glibc's malloc limited to two arenas (less resident
memory in a large scan, bench scan_latency), unless the operator chose a limit."""

from __future__ import annotations

from compliance_app.commands.serve import worker_env


def test_the_worker_gets_two_malloc_arenas_and_keeps_the_rest_of_the_environment() -> None:
    env = worker_env({"DATABASE_URL": "postgresql://db/app", "PORT": "3000"})
    assert env == {"MALLOC_ARENA_MAX": "2", "DATABASE_URL": "postgresql://db/app", "PORT": "3000"}


def test_an_operators_own_arena_limit_wins() -> None:
    assert worker_env({"MALLOC_ARENA_MAX": "4"})["MALLOC_ARENA_MAX"] == "4"
