"""compliance_app/web_tokens.py against a private redis-server: a tab whose web process died keeps
its token on the process it reconnects to; a tab duplicated while its process lives gets a new one."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from redis.asyncio import Redis

from compliance_app.web_tokens import SurvivingTokenManager, _alive_key
from tests.support.cluster import RedisServer

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server = RedisServer(Path(tmp_path_factory.mktemp("redis")))
    server.start()
    try:
        yield server.url
    finally:
        server.stop()


def _manager(url: str) -> SurvivingTokenManager:
    return SurvivingTokenManager(Redis.from_url(url))


def test_a_tab_of_a_killed_process_keeps_its_token(redis_url: str) -> None:
    async def scenario() -> tuple[str | None, bool]:
        first, second = _manager(redis_url), _manager(redis_url)
        assert await first.link_token_to_sid("tab-1", "sid-a") is None
        assert await first.redis.exists(_alive_key(first.instance_id))
        first._heartbeat_task.cancel()  # killed: no clean-up, its records and last heartbeat stay
        taken = await asyncio.wait_for(second.link_token_to_sid("tab-1", "sid-b"), 10)
        owner = await second._get_token_owner("tab-1", refresh=True)
        await second.close()
        await first.redis.aclose()
        return taken, owner == second.instance_id

    new_token, owned_here = asyncio.run(scenario())
    assert new_token is None, "the tab was given a new, empty state"
    assert owned_here


def test_a_tab_duplicated_while_its_process_lives_gets_a_new_token(redis_url: str) -> None:
    async def scenario() -> str | None:
        first, second = _manager(redis_url), _manager(redis_url)
        await first.link_token_to_sid("tab-2", "sid-a")
        try:
            return await asyncio.wait_for(second.link_token_to_sid("tab-2", "sid-b"), 10)
        finally:
            await second.close()
            await first.close()

    new_token = asyncio.run(scenario())
    assert new_token is not None and new_token != "tab-2"


def test_a_process_that_stops_cleanly_stops_beating(redis_url: str) -> None:
    async def scenario() -> int:
        manager = _manager(redis_url)
        await manager.link_token_to_sid("tab-3", "sid-a")
        key = _alive_key(manager.instance_id)
        await manager.disconnect_all()
        await manager.close()
        check = Redis.from_url(redis_url)
        try:
            return await check.exists(key) + await check.exists(manager._get_redis_key("tab-3"))
        finally:
            await check.aclose()

    assert asyncio.run(scenario()) == 0
