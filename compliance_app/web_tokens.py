"""A page keeps its state when the web process it was talking to dies (several web processes, Redis).

Reflex (0.10) records in Redis which web process holds each browser tab's websocket, and a
process that sees a tab connect whose record names another process takes it for a duplicated
tab and hands it a new, empty state. A process that is killed never deletes its records, so
every tab it served would lose its page state when nginx moves it to a surviving process.

Here each web process also writes a heartbeat to Redis every second. When a tab arrives
whose record names another process, that process's heartbeat decides: gone (or not beating
within a few beats) means the record is a leftover and the tab keeps its token, hence its
state; beating means a real duplicate, which Reflex handles as before.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import pickle
import time
from typing import Any

from redis.exceptions import RedisError
from reflex.utils.tasks import ensure_task
from reflex.utils.token_manager import RedisTokenManager

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 1.0
#: A heartbeat unchanged after this many beats belongs to a process that is gone.
BEATS_TO_WAIT = 2.5
_ALIVE_PREFIX = "compliance_app_web_alive_"
#: Delete the socket record only if it is still the one that was judged stale.
_DELETE_IF_UNCHANGED = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"


def _alive_key(instance_id: str) -> str:
    return f"{_ALIVE_PREFIX}{instance_id}"


class SurvivingTokenManager(RedisTokenManager):
    """Reflex's Redis token manager, plus heartbeats so a dead process's tabs are taken over."""

    _heartbeat_task: asyncio.Task | None = None

    async def _beat(self) -> None:
        """Every second: this process (its current instance id) is alive for three more seconds."""
        while True:
            await self.redis.set(_alive_key(self.instance_id), str(time.time_ns()),
                                 px=int(HEARTBEAT_SECONDS * 3000))
            await asyncio.sleep(HEARTBEAT_SECONDS)

    async def link_token_to_sid(self, token: str, sid: str) -> str | None:
        ensure_task(owner=self, task_attribute="_heartbeat_task", coro_function=self._beat,
                    suppress_exceptions=[Exception])
        local = self.token_to_socket.get(token)
        if local is None or local.sid != sid:
            try:
                await self._forget_dead_owner(token)
            except RedisError as exc:  # Reflex's own handling follows (and logs Redis errors too)
                log.warning("could not check the owner of a reconnecting tab: %s", exc)
        return await super().link_token_to_sid(token, sid)

    async def _forget_dead_owner(self, token: str) -> None:
        """Delete the tab's socket record when the process it names has stopped beating."""
        key = self._get_redis_key(token)
        raw = await self.redis.get(key)
        if not raw:
            return
        owner = pickle.loads(raw).instance_id
        if owner == self.instance_id:
            return  # this process's own record: Reflex knows its own sockets
        beat = await self.redis.get(_alive_key(owner))
        if beat is not None:
            await asyncio.sleep(HEARTBEAT_SECONDS * BEATS_TO_WAIT)
            if await self.redis.get(key) != raw:
                return  # the owner let go of it (a reload) or someone else took it
            if await self.redis.get(_alive_key(owner)) not in (None, beat):
                return  # the owner is alive: a duplicated tab, which Reflex gives a new token
        if await self.redis.eval(_DELETE_IF_UNCHANGED, 1, key, raw):
            stale = self.token_to_socket.pop(token, None)
            if stale is not None and self.sid_to_token.get(stale.sid) == token:
                self.sid_to_token.pop(stale.sid, None)
            log.info("web process %s is gone; its tab reconnects here with its state", owner)


    async def close(self) -> None:
        """A process that stops cleanly stops beating at once (Reflex has deleted its records)."""
        task, self._heartbeat_task = self._heartbeat_task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        with contextlib.suppress(RedisError):
            await self.redis.delete(_alive_key(self.instance_id))
        await super().close()


def take_over_tabs_of_dead_processes(app: Any) -> None:
    """Lifespan task (each backend process): use SurvivingTokenManager when Reflex uses Redis."""
    namespace = app.event_namespace
    if namespace is not None and type(namespace._token_manager) is RedisTokenManager:
        namespace._token_manager = SurvivingTokenManager(namespace._token_manager.redis)
