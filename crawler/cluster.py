"""One crawl spread over several processes and machines, sharing its state in Redis.

Built on scrapy-redis (its Scheduler and dupefilter plumbing, the ``REDIS_URL`` settings),
with three changes a crawl that must lose nothing needs:

- **Leases, not pops.** scrapy-redis pops a request atomically: a worker killed with it
  in flight loses it. Here a worker *leases* a frontier entry (a Lua script moves it from
  the queue to a sorted set scored by its expiry, in Redis time), renews its leases while
  it lives and acknowledges each when the spider settles it (its links queued, its
  document stored). A killed worker's leases expire and any live worker puts them back
  at the front of the queue.
- **The frontier is the dupefilter.** The spider records every URL it decides to fetch in
  its frontier; here that is one Redis set per portal, and adding a URL and queueing its
  entry is one atomic script, so a URL is queued once across the cluster, and a page's
  links are in the queue before its lease is acknowledged.
- **Politeness across the cluster.** Each host has one bucket in Redis holding one token:
  a worker takes it to send a request and gives it back when the answer is in; it is
  refilled ``1/requests_per_second`` later (Lua scripts against Redis' clock). All workers
  together keep to the portal's rate, as the server sees it.

Each worker writes its own WARC files and stores into the shared database (PostgreSQL).
Keys live under ``CLUSTER_KEY`` (``nianbao`` by default) in the Redis database of
``REDIS_URL``; ``nianbao workers`` reads the worker table.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy_redis.scheduler import Scheduler as RedisScheduler
from twisted.internet import task

from .wire import WireDownloadHandler

logger = logging.getLogger(__name__)

DEFAULT_KEY = "nianbao"
DEFAULT_LEASE_SECONDS = 60.0
#: a worker whose queue and every lease stayed empty this long is done
DEFAULT_IDLE_SECONDS = 3.0
#: a worker not heard from for this many lease periods is shown dead
DEAD_AFTER_LEASES = 1.0


def cluster_settings(redis_url: str, *, key: str = DEFAULT_KEY,
                     lease_seconds: float = DEFAULT_LEASE_SECONDS) -> dict:
    """The Scrapy settings that make one crawl process a worker of the cluster."""
    return {
        "REDIS_URL": redis_url,
        "CLUSTER_KEY": key,
        "CLUSTER_LEASE_SECONDS": lease_seconds,
        "SCHEDULER": "nianbao.crawler.cluster.LeasingScheduler",
        # scrapy-redis' dupefilter, for the few requests that are not frontier entries
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "SCHEDULER_DUPEFILTER_KEY": f"{key}:dupefilter",
        "SCHEDULER_QUEUE_KEY": f"{key}:unused",
        # never flush the shared state when one worker stops
        "SCHEDULER_PERSIST": True,
        "DOWNLOAD_HANDLERS": {"http": "nianbao.crawler.cluster.ClusterPoliteDownloadHandler",
                              "https": "nianbao.crawler.cluster.ClusterPoliteDownloadHandler"},
    }


def redis_from_url(url: str):
    import redis

    return redis.Redis.from_url(url)


# -- Lua: each is one atomic step on the shared state --------------------------------------

_NOW_MS = "local t = redis.call('TIME') local now = t[1] * 1000 + math.floor(t[2] / 1000) "

# KEYS: seen, queue · ARGV: frontier key, entry → 1 if new (and queued), else 0
_ADD = """
if redis.call('SADD', KEYS[1], ARGV[1]) == 1 then
  redis.call('RPUSH', KEYS[2], ARGV[2]) return 1 end
return 0"""

# KEYS: queue, leases, lease entries, lease owners · ARGV: lease ms, worker → entry or nil
_LEASE = _NOW_MS + """
local e = redis.call('LPOP', KEYS[1])
if not e then return false end
local id = cjson.decode(e)['id']
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[1]), id)
redis.call('HSET', KEYS[3], id, e)
redis.call('HSET', KEYS[4], id, ARGV[2])
return e"""

# KEYS: leases · ARGV: lease ms, ids... → renewed count
_RENEW = _NOW_MS + """
local n = 0
for i = 2, #ARGV do n = n + redis.call('ZADD', KEYS[1], 'XX', 'CH', now + tonumber(ARGV[1]),
  ARGV[i]) end
return n"""

# KEYS: queue, leases, lease entries, lease owners → how many expired leases were requeued
_REQUEUE = _NOW_MS + """
local ids = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, 1000)
for _, id in ipairs(ids) do
  local e = redis.call('HGET', KEYS[3], id)
  if e then redis.call('LPUSH', KEYS[1], e) end
  redis.call('ZREM', KEYS[2], id) redis.call('HDEL', KEYS[3], id)
  redis.call('HDEL', KEYS[4], id)
end
return #ids"""

# KEYS: leases, lease entries, lease owners, queue, states · ARGV: id, entry, state
_SETTLE = """
if redis.call('ZREM', KEYS[1], ARGV[1]) == 0 and ARGV[2] ~= '' then
  redis.call('LREM', KEYS[4], 0, ARGV[2]) end
redis.call('HDEL', KEYS[2], ARGV[1]) redis.call('HDEL', KEYS[3], ARGV[1])
redis.call('HINCRBY', KEYS[5], ARGV[3], 1)
return 1"""

# KEYS: portal state, seen, states → 1 if the portal's crawl is running (join it), else 0
_BEGIN = """
if redis.call('HGET', KEYS[1], 'status') == 'running' then return 1 end
redis.call('HSET', KEYS[1], 'status', 'running')
redis.call('HINCRBY', KEYS[1], 'generation', 1)
redis.call('DEL', KEYS[2], KEYS[3])
return 0"""

# KEYS: queue, leases, portal state → 1 if nothing is left anywhere (marked completed)
_FINISH = """
if redis.call('LLEN', KEYS[1]) > 0 or redis.call('ZCARD', KEYS[2]) > 0 then return 0 end
redis.call('HSET', KEYS[3], 'status', 'completed')
return 1"""

# KEYS: host busy, host next · ARGV: busy ms, token → 0 if the host is ours now, else ms
# to wait (the host is busy with another worker's request, or its next send time is ahead)
_ACQUIRE = _NOW_MS + """
if redis.call('EXISTS', KEYS[1]) == 1 then return -1 end
local nxt = tonumber(redis.call('GET', KEYS[2]) or '0')
if nxt > now then return nxt - now end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[1])
return 0"""

# KEYS: host busy, host next · ARGV: token, interval ms → the host's next send time
_RELEASE = _NOW_MS + """
if redis.call('GET', KEYS[1]) == ARGV[2] then redis.call('DEL', KEYS[1]) end
local nxt = now + tonumber(ARGV[1])
if nxt > tonumber(redis.call('GET', KEYS[2]) or '0') then
  redis.call('SET', KEYS[2], nxt, 'PX', tonumber(ARGV[1]) + 60000) end
return nxt"""


@dataclass(frozen=True)
class Leased:
    """A frontier entry this worker holds."""

    id: str
    raw: str  # the queued JSON, as stored
    portal: str
    key: str
    url: str
    method: str
    body: bytes | None
    meta: dict


def lease_id(portal: str, key: str) -> str:
    return f"{portal}\x1f{key}"


class Keys:
    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.queue = f"{prefix}:queue"
        self.leases = f"{prefix}:leases"
        self.lease_entries = f"{prefix}:lease:entry"
        self.lease_owners = f"{prefix}:lease:owner"
        self.workers = f"{prefix}:workers"

    def seen(self, portal: str) -> str:
        return f"{self.prefix}:seen:{portal}"

    def portal(self, portal: str) -> str:
        return f"{self.prefix}:portal:{portal}"

    def states(self, portal: str) -> str:
        return f"{self.prefix}:states:{portal}"

    def host(self, slot: str) -> tuple[str, str]:
        """(busy, next send time) of a host's bucket."""
        return f"{self.prefix}:host:{slot}:busy", f"{self.prefix}:host:{slot}:next"


class RedisFrontier:
    """The spider's frontier (the interface of ``crawler.frontier.Frontier``), shared.

    ``begin`` joins a portal's running crawl instead of resuming it: what is queued or
    leased is the cluster's, not this process's to re-schedule.
    """

    def __init__(self, server, prefix: str, worker: str, lease_seconds: float) -> None:
        self.server = server
        self.k = Keys(prefix)
        self.worker = worker
        self.lease_ms = int(lease_seconds * 1000)
        self.held: dict[str, Leased] = {}
        self._add = server.register_script(_ADD)
        self._lease = server.register_script(_LEASE)
        self._renew = server.register_script(_RENEW)
        self._requeue = server.register_script(_REQUEUE)
        self._settle = server.register_script(_SETTLE)
        self._begin = server.register_script(_BEGIN)
        self._finish = server.register_script(_FINISH)

    # -- the Frontier interface the spider uses ------------------------------------------

    def begin(self, portal: str) -> bool:
        k = self.k
        return bool(self._begin(keys=[k.portal(portal), k.seen(portal), k.states(portal)]))

    def finish(self, portal: str) -> bool:
        k = self.k
        return bool(self._finish(keys=[k.queue, k.leases, k.portal(portal)]))

    def add(self, portal: str, key: str, url: str, method: str, body: bytes | None,
            meta: dict) -> bool:
        entry = json.dumps({"id": lease_id(portal, key), "portal": portal, "key": key,
                            "url": url, "method": method,
                            "body": None if body is None else body.decode("latin-1"),
                            "meta": meta})
        return bool(self._add(keys=[self.k.seen(portal), self.k.queue],
                              args=[key, entry]))

    def fetched(self, portal: str, key: str, warc_file: str, offset: int,
                record_id: str) -> None:
        """Nothing to keep: a lease that expires is fetched again (the archive then writes
        a revisit if the first fetch's file was closed)."""

    def settle(self, portal: str, key: str, state: str = "done") -> None:
        self.ack(lease_id(portal, key), state, portal=portal)

    def keys(self, portal: str) -> set[str]:
        return set()  # the shared set answers `add`; nothing to preload

    def pending(self, portal: str) -> list:
        return []  # queued and leased entries belong to the cluster

    def count(self, portal: str) -> int:
        return int(self.server.scard(self.k.seen(portal)))

    def states(self, portal: str) -> dict[str, int]:
        raw = self.server.hgetall(self.k.states(portal))
        return {k.decode(): int(v) for k, v in raw.items()}

    @contextmanager
    def transaction(self) -> Iterator[None]:
        yield  # each step is atomic on its own

    def close(self) -> None:
        pass

    # -- leases ----------------------------------------------------------------------------

    def lease(self) -> Leased | None:
        k = self.k
        raw = self._lease(keys=[k.queue, k.leases, k.lease_entries, k.lease_owners],
                          args=[self.lease_ms, self.worker])
        if raw is None:
            return None
        raw = raw.decode() if isinstance(raw, bytes) else raw
        data = json.loads(raw)
        body = data["body"]
        leased = Leased(data["id"], raw, data["portal"], data["key"], data["url"],
                        data["method"], None if body is None else body.encode("latin-1"),
                        data["meta"])
        self.held[leased.id] = leased
        return leased

    def ack(self, id_: str, state: str, *, portal: str | None = None) -> None:
        leased = self.held.pop(id_, None)
        portal = portal or (leased.portal if leased else id_.split("\x1f", 1)[0])
        k = self.k
        self._settle(keys=[k.leases, k.lease_entries, k.lease_owners, k.queue,
                           k.states(portal)],
                     args=[id_, leased.raw if leased else "", state])

    def renew(self) -> int:
        if not self.held:
            return 0
        return int(self._renew(keys=[self.k.leases], args=[self.lease_ms, *self.held]))

    def requeue_expired(self) -> int:
        k = self.k
        return int(self._requeue(keys=[k.queue, k.leases, k.lease_entries, k.lease_owners]))

    def release_all(self) -> None:
        """Hand every held lease back now (a worker stopping before its work is done)."""
        if self.held:
            self.server.zadd(self.k.leases, dict.fromkeys(self.held, 0), xx=True)
            self.held.clear()
            self.requeue_expired()

    def outstanding(self) -> tuple[int, int]:
        """(queued entries, leases held by any worker)."""
        pipe = self.server.pipeline(transaction=False)
        pipe.llen(self.k.queue)
        pipe.zcard(self.k.leases)
        queued, leased = pipe.execute()
        return int(queued), int(leased)


def worker_id() -> str:
    return f"{socket.gethostname().split('.')[0]}:{os.getpid()}"


class LeasingScheduler(RedisScheduler):
    """scrapy-redis' scheduler with leased frontier entries (see the module docstring).

    Requests of an entry this worker holds (retries, redirects, the rendered second try
    of a page) stay with it, in memory: the lease covers them.
    """

    def __init__(self, server, *, crawler: Crawler, **kwargs) -> None:
        super().__init__(server, **kwargs)
        settings = crawler.settings
        self.crawler = crawler
        self.prefix = settings.get("CLUSTER_KEY", DEFAULT_KEY)
        self.lease_seconds = settings.getfloat("CLUSTER_LEASE_SECONDS", DEFAULT_LEASE_SECONDS)
        self.idle_seconds = settings.getfloat("CLUSTER_IDLE_SECONDS", DEFAULT_IDLE_SECONDS)
        self.worker = settings.get("CLUSTER_WORKER_ID") or worker_id()
        self.local: deque[Request] = deque()
        self.frontier: RedisFrontier | None = None
        self._idle_since: float | None = None
        self._loops: list[task.LoopingCall] = []
        self._rate_mark: tuple[float, int] = (time.monotonic(), 0)
        self.rate = 0.0
        self.started = time.time()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> LeasingScheduler:
        base = RedisScheduler.from_settings(crawler.settings)
        instance = cls(base.server, crawler=crawler, persist=True, queue_key=base.queue_key,
                       queue_cls=base.queue_cls, dupefilter=base.df,
                       dupefilter_key=base.dupefilter_key, dupefilter_cls=base.dupefilter_cls,
                       idle_before_close=base.idle_before_close, serializer=base.serializer)
        instance.stats = crawler.stats
        crawler.signals.connect(instance._item_dropped, signal=signals.item_dropped)
        crawler.signals.connect(instance._spider_error, signal=signals.spider_error)
        return instance

    # -- Scrapy's scheduler interface ------------------------------------------------------

    def open(self, spider) -> None:
        super().open(spider)
        self.frontier = RedisFrontier(self.server, self.prefix, self.worker,
                                      self.lease_seconds)
        # The spider keeps its frontier in `frontier`; a worker's is the cluster's.
        local = getattr(spider, "frontier", None)
        if local is not None and local is not self.frontier:
            local.close()
        spider.frontier = self.frontier
        self._register("running")
        fast = task.LoopingCall(self._tick)
        fast.start(0.25, now=False)
        slow = task.LoopingCall(self._heartbeat)
        slow.start(max(0.2, self.lease_seconds / 4), now=False)
        self._loops = [fast, slow]

    def close(self, reason: str) -> None:
        for loop in self._loops:
            if loop.running:
                loop.stop()
        if self.frontier is not None:
            if self.frontier.held:  # stopped before its work was done: give it back
                self.frontier.release_all()
            try:
                self._register("finished" if reason == "finished" else "stopped")
            except Exception:  # noqa: BLE001 - Redis gone: the record ages into "dead"
                logger.warning("could not record this worker as stopped", exc_info=True)
        return super().close(reason)

    def enqueue_request(self, request: Request) -> bool:
        key, portal = request.meta.get("frontier_key"), request.meta.get("portal")
        if key is not None and portal is not None:
            if lease_id(portal, key) in self.frontier.held:
                self.local.append(request)  # a retry or second try of an entry we hold
            # else: a new URL, queued for the cluster when the spider added it
            return True
        if not request.dont_filter and self.df.request_seen(request):
            self.df.log(request, self.spider)
            return False
        self.local.append(request)
        return True

    def next_request(self) -> Request | None:
        if self.local:
            return self.local.popleft()
        leased = self.frontier.lease()
        if leased is None:
            return None
        portal = self.spider.portals.get(leased.portal)
        if portal is None:
            # Workers must share one config; settled, not put back, so the crawl can end.
            logger.error("portal %s of %s is not in this worker's config: dropped (start "
                         "every worker with the same --config)", leased.portal, leased.url)
            self.frontier.ack(leased.id, "dropped", portal=leased.portal)
            return None
        request = self.spider._build(portal, leased.url, leased.key, leased.meta,
                                     method=leased.method, body=leased.body)
        self.stats.inc_value("cluster/leased")
        return request

    def has_pending_requests(self) -> bool:
        if self.local:
            return True
        queued, leased = self.frontier.outstanding()
        if queued or leased:
            self._idle_since = None
            return True
        # empty everywhere: wait a moment (a worker may be adding its first URLs) before
        # this worker calls the crawl done
        now = time.monotonic()
        if self._idle_since is None:
            self._idle_since = now
        return now - self._idle_since < self.idle_seconds

    def __len__(self) -> int:
        return len(self.local) + self.frontier.outstanding()[0]

    # -- upkeep ----------------------------------------------------------------------------

    def _tick(self) -> None:
        """Put expired leases back; wake the engine when there is work to take (it would
        otherwise look again only every few seconds)."""
        try:
            if self.frontier.requeue_expired():
                self.stats.inc_value("cluster/requeued")
            engine = self.crawler.engine
            slot = getattr(engine, "_slot", None)
            if slot is not None:
                slot.nextcall.schedule()
        except Exception:  # noqa: BLE001 - Redis gone for a moment: the next tick retries
            logger.warning("cluster upkeep failed", exc_info=True)

    def _heartbeat(self) -> None:
        try:
            self.frontier.renew()
            self._register("running")
        except Exception:  # noqa: BLE001
            logger.warning("cluster heartbeat failed", exc_info=True)

    def _pages(self) -> int:
        return int(self.stats.get_value("response_received_count", 0) or 0)

    def _register(self, state: str) -> None:
        now = time.monotonic()
        pages = self._pages()
        mark_time, mark_pages = self._rate_mark
        if now - mark_time >= 2.0:
            self.rate = (pages - mark_pages) / (now - mark_time)
            self._rate_mark = (now, pages)
        seconds, micros = self.server.time()
        record = {"worker": self.worker, "host": socket.gethostname(), "pid": os.getpid(),
                  "state": state, "started": self.started, "seen": seconds + micros / 1e6,
                  "lease_seconds": self.lease_seconds, "pages": pages,
                  "pages_per_second": round(self.rate, 2),
                  "leases": len(self.frontier.held) if self.frontier else 0}
        self.server.hset(Keys(self.prefix).workers, self.worker, json.dumps(record))

    def _item_dropped(self, item, response=None, exception=None, spider=None) -> None:
        key = getattr(item, "frontier_key", None)
        if key and getattr(item, "portal", None):
            self.frontier.settle(item.portal, key, "dropped")

    def _spider_error(self, failure, response=None, spider=None) -> None:
        """A callback that raised never settles its entry: settle it as failed, or the
        crawl would wait for its lease forever."""
        request = getattr(response, "request", None)
        meta = request.meta if request is not None else {}
        if meta.get("frontier_key") and meta.get("portal"):
            self.frontier.settle(meta["portal"], meta["frontier_key"], "failed")


class ClusterPoliteDownloadHandler(WireDownloadHandler):
    """The wire handler, sending only when the host's shared bucket holds its token.

    The token is taken just before the request is sent (after Scrapy's own per-worker slot
    delay) and given back when the answer is in; the next request to the host, from any
    worker, may go ``1/requests_per_second`` after that. Counting from the end of the
    previous request rather than from its planned start means a send delayed by a busy
    worker can never arrive close behind another: the server never sees more than the
    rate. The price is the host's latency added to each interval. A worker killed while
    holding a token holds it at most one lease period.
    """

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        settings = crawler.settings
        self.server = redis_from_url(settings.get("REDIS_URL"))
        self.keys = Keys(settings.get("CLUSTER_KEY", DEFAULT_KEY))
        self.delays = {slot: float(spec.get("delay", 0))
                       for slot, spec in settings.getdict("DOWNLOAD_SLOTS").items()}
        self.default_delay = settings.getfloat("DOWNLOAD_DELAY", 1.0)
        self.hold_ms = int(1000 * settings.getfloat("CLUSTER_LEASE_SECONDS",
                                                    DEFAULT_LEASE_SECONDS))
        self.token = worker_id()
        self._take_host = self.server.register_script(_ACQUIRE)
        self._give_host = self.server.register_script(_RELEASE)

    async def download_request(self, request: Request):
        slot = request.meta.get("download_slot") or urlsplit(request.url).netloc.lower()
        interval = self.delays.get(slot, self.default_delay)
        if interval <= 0:
            return await super().download_request(request)
        keys = list(self.keys.host(slot))
        while True:
            wait_ms = int(self._take_host(keys=keys, args=[self.hold_ms, self.token]))
            if wait_ms == 0:
                break
            # busy elsewhere: look again soon; else sleep until the next send time
            await asyncio.sleep(0.01 if wait_ms < 0 else wait_ms / 1000)
        try:
            return await super().download_request(request)
        finally:
            self._give_host(keys=keys, args=[int(interval * 1000), self.token])


# -- reading the cluster's state (nianbao workers) ------------------------------------------


@dataclass(frozen=True)
class WorkerState:
    worker: str
    host: str
    pid: int
    state: str  # running | finished | stopped (as the worker last said)
    alive: bool
    leases: int  # leases Redis holds in its name now
    pages: int
    pages_per_second: float
    last_seen: float  # seconds ago


def cluster_state(server, prefix: str = DEFAULT_KEY) -> tuple[list[WorkerState], int, int]:
    """(every worker that registered, queued entries, leases) from Redis."""
    keys = Keys(prefix)
    seconds, micros = server.time()
    now = seconds + micros / 1e6
    owners: dict[str, int] = {}
    for owner in server.hvals(keys.lease_owners):
        name = owner.decode()
        owners[name] = owners.get(name, 0) + 1
    out = []
    for name, raw in sorted(server.hgetall(keys.workers).items()):
        data = json.loads(raw)
        ago = now - data["seen"]
        alive = data["state"] == "running" and ago <= DEAD_AFTER_LEASES * data["lease_seconds"]
        out.append(WorkerState(name.decode(), data["host"], data["pid"], data["state"], alive,
                               owners.get(name.decode(), 0), data["pages"],
                               data["pages_per_second"] if alive else 0.0, ago))
    return out, int(server.llen(keys.queue)), int(server.zcard(keys.leases))
