"""The BENCHMARK.md workload on the stack the seeds were written for.

SQLAlchemy 2 async ORM (aiosqlite / asyncpg) + redis-py asyncio + chromadb's async HTTP client,
run the way that stack is normally used: one AsyncSession per operation from an
async_sessionmaker, ORM models of the seed's tables, ORM bulk inserts, a redis-py connection
pool, and chromadb's AsyncHttpClient against a Chroma server. Same data, same ops, same counts,
same concurrency and the same JSON lines as `dal bench --json`, so the two can be run side by
side and compared op by op.

It is a yardstick for `dal bench`, not part of the Rust build or its tests.

    python3 bench/reference/bench.py [--database-url URL] [--cache-url URL|none]
                                     [--chroma-url URL|none] [--rows N] [--scale F] [--ops a,b]

--database-url: default a fresh SQLite file in a temporary directory
(`sqlite+aiosqlite:///…`); `postgresql+asyncpg://…` drops and re-creates the four tables.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import gzip
import hashlib
import json
import os
import random
import resource
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from typing import Awaitable, Callable, Optional

import redis.asyncio as aioredis
from sqlalchemy import (
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    JSON,
    Text,
    Boolean,
    delete,
    event,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

TECHS = [
    "python", "rust", "react", "fastapi", "django", "postgres",
    "redis", "docker", "kubernetes", "go", "typescript", "sqlite",
]
DATABASE_OPS = [
    "insert_bulk", "get_by_pk", "query_indexed", "update_by_pk", "txn_feedback", "cleanup_expired",
]
CACHE_OPS = ["cache_set", "cache_get", "rate_limit"]
VECTOR_OPS = ["vector_upsert", "vector_query"]
OPS = DATABASE_OPS + CACHE_OPS + VECTOR_OPS

# The vector workload (bench/README.md, "Vector data"): 384 components (all-MiniLM-L6-v2's),
# batches of 500, k = 10, 1,024 query embeddings cycled through, 8 concurrent queries.
VECTOR_DIMENSION = 384
VECTOR_BATCH = 500
VECTOR_K = 10
VECTOR_QUERIES = 1024
VECTOR_COLLECTION = "dal_refbench_vectors"
# Query embeddings come from their own stretch of the generator's input.
QUERY_BASE = 1 << 40


def splitmix64(x):
    """SplitMix64's output function on a numpy uint64 array (wrapping arithmetic)."""
    import numpy as np

    z = x + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def embeddings(first: int, count: int, base: int = 0):
    """Embeddings first..first+count: component j of embedding i is
    (splitmix64(base + i * 384 + j) >> 40) / 2**24 * 2 - 1, uniform in [-1, 1) and exact in f32."""
    import numpy as np

    i = np.arange(first, first + count, dtype=np.uint64)[:, None]
    j = np.arange(VECTOR_DIMENSION, dtype=np.uint64)[None, :]
    x = np.uint64(base) + i * np.uint64(VECTOR_DIMENSION) + j
    top = (splitmix64(x) >> np.uint64(40)).astype(np.float32)
    return top / np.float32(1 << 24) * np.float32(2.0) - np.float32(1.0)


def vector_record(i: int) -> tuple[str, str, dict]:
    """Record i's id, document and metadata (its embedding is embeddings(i, 1)[0])."""
    tech = TECHS[i % 12]
    return f"v{i:08}", f"Chunk {i} of the {tech} documentation.", {"technology": tech, "chunk": i % 30}


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Base(DeclarativeBase):
    pass


# The four tables of seed 000 the workload touches, with their CHECKs, keys and indexes.
class ContentMetadata(Base):
    __tablename__ = "content_metadata"
    content_id: Mapped[str] = mapped_column(Text, primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    source_url: Mapped[str] = mapped_column(Text, index=True)
    technology: Mapped[str] = mapped_column(Text, index=True)
    # Seed 000 writes both `UNIQUE` on the column and its own index on it: two indexes.
    content_hash: Mapped[str] = mapped_column(Text, unique=True)
    word_count: Mapped[int] = mapped_column(Integer, default=0)
    heading_count: Mapped[int] = mapped_column(Integer, default=0)
    code_block_count: Mapped[int] = mapped_column(Integer, default=0)
    chunk_count: Mapped[int] = mapped_column(Integer, default=0)
    quality_score: Mapped[float] = mapped_column(Float, default=0.0, index=True)
    freshness_score: Mapped[float] = mapped_column(Float, default=1.0)
    processing_status: Mapped[str] = mapped_column(Text, default="pending", index=True)
    anythingllm_workspace: Mapped[Optional[str]] = mapped_column(Text)
    anythingllm_document_id: Mapped[Optional[str]] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_accessed_at: Mapped[Optional[datetime]] = mapped_column(DateTime(timezone=True), index=True)
    access_count: Mapped[int] = mapped_column(Integer, default=0)
    __table_args__ = (
        Index("idx_content_metadata_content_hash", "content_hash"),
        CheckConstraint("quality_score >= 0.0 AND quality_score <= 1.0"),
        CheckConstraint("freshness_score >= 0.0 AND freshness_score <= 1.0"),
        CheckConstraint(
            "processing_status IN ('pending', 'processing', 'completed', 'failed', 'flagged')"
        ),
    )


class FeedbackEvent(Base):
    __tablename__ = "feedback_events"
    event_id: Mapped[str] = mapped_column(Text, primary_key=True, default=lambda: str(uuid.uuid4()))
    content_id: Mapped[str] = mapped_column(
        ForeignKey("content_metadata.content_id", ondelete="CASCADE"), index=True
    )
    feedback_type: Mapped[str] = mapped_column(Text, index=True)
    rating: Mapped[Optional[int]] = mapped_column(Integer)
    comment: Mapped[Optional[str]] = mapped_column(Text)
    user_session_id: Mapped[Optional[str]] = mapped_column(Text, index=True)
    ip_address: Mapped[Optional[str]] = mapped_column(Text)
    user_agent: Mapped[Optional[str]] = mapped_column(Text)
    search_query: Mapped[Optional[str]] = mapped_column(Text)
    result_position: Mapped[Optional[int]] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    __table_args__ = (
        CheckConstraint(
            "feedback_type IN ('helpful', 'not_helpful', 'outdated', 'incorrect', 'flag')"
        ),
        CheckConstraint("rating >= 1 AND rating <= 5"),
    )


class UsageSignal(Base):
    __tablename__ = "usage_signals"
    signal_id: Mapped[str] = mapped_column(Text, primary_key=True, default=lambda: str(uuid.uuid4()))
    content_id: Mapped[str] = mapped_column(
        ForeignKey("content_metadata.content_id", ondelete="CASCADE"), index=True
    )
    signal_type: Mapped[str] = mapped_column(Text, index=True)
    signal_value: Mapped[float] = mapped_column(Float, default=0.0)
    search_query: Mapped[Optional[str]] = mapped_column(Text)
    result_position: Mapped[Optional[int]] = mapped_column(Integer)
    user_session_id: Mapped[Optional[str]] = mapped_column(Text, index=True)
    ip_address: Mapped[Optional[str]] = mapped_column(Text)
    user_agent: Mapped[Optional[str]] = mapped_column(Text)
    referrer: Mapped[Optional[str]] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    __table_args__ = (
        CheckConstraint(
            "signal_type IN ('click', 'dwell_time', 'copy', 'share', 'scroll_depth')"
        ),
    )


class SearchCache(Base):
    __tablename__ = "search_cache"
    query_hash: Mapped[str] = mapped_column(Text, primary_key=True)
    original_query: Mapped[str] = mapped_column(Text)
    search_results: Mapped[object] = mapped_column(JSON)
    technology_hint: Mapped[Optional[str]] = mapped_column(Text, index=True)
    workspace_slugs: Mapped[Optional[object]] = mapped_column(JSON)
    result_count: Mapped[int] = mapped_column(Integer, default=0)
    execution_time_ms: Mapped[int] = mapped_column(Integer, default=0)
    cache_hit: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    access_count: Mapped[int] = mapped_column(Integer, default=0)
    last_accessed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


@dataclasses.dataclass
class SearchHit:
    content_id: str
    title: str
    url: str
    score: float
    snippet: str


@dataclasses.dataclass
class SearchResults:
    query: str
    results: list[SearchHit]

    @classmethod
    def from_dict(cls, d: dict) -> "SearchResults":
        return cls(query=d["query"], results=[SearchHit(**h) for h in d["results"]])


SNIPPET = (
    "Ownership is a set of rules that govern how a program manages memory. "
    "Some languages have garbage collection that regularly looks for no-longer-used memory as the "
    "program runs; in other languages, the programmer must explicitly allocate and free the memory. "
    "Rust uses a third approach: memory is managed through a system of ownership with rules."
)[:300]


def search_results(i: int) -> SearchResults:
    return SearchResults(
        query=f"how does ownership work {i}",
        results=[
            SearchHit(
                content_id=f"c{(i * 10 + k) % 1_000_000:08}",
                title=f"Document {i * 10 + k} — Understanding Ownership",
                url=f"https://docs.example.org/rust/page/{i * 10 + k}",
                score=1.0 - k / 20.0,
                snippet=SNIPPET,
            )
            for k in range(10)
        ],
    )


def sha256_hex(s: str) -> str:
    return hashlib.sha256(s.encode()).hexdigest()


def row(i: int, now: datetime) -> dict:
    tech = TECHS[i % 12]
    return dict(
        content_id=f"c{i:08}",
        title=f"Document {i}",
        source_url=f"https://docs.example.org/{tech}/page/{i}",
        technology=tech,
        content_hash=sha256_hex(str(i)),
        word_count=100 + i % 5000,
        heading_count=i % 40,
        code_block_count=i % 15,
        chunk_count=1 + i % 30,
        quality_score=((i * 7919) % 1001) / 1000,
        freshness_score=1.0,
        processing_status="completed",
        access_count=0,
        created_at=now,
        updated_at=now,
    )


async def concurrent(n: int, concurrency: int, f: Callable[[int], Awaitable[None]]):
    counter = iter(range(n))
    latencies: list[int] = []

    async def worker():
        for i in counter:
            t = time.perf_counter_ns()
            await f(i)
            latencies.append(time.perf_counter_ns() - t)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - started, latencies


def percentile_us(sorted_ns: list[int], p: float) -> float:
    import math

    rank = math.ceil(p / 100 * len(sorted_ns))
    return sorted_ns[max(1, min(rank, len(sorted_ns))) - 1] / 1000


def emit(op: str, n: int, secs: float, latencies: Optional[list[int]] = None) -> None:
    out = {"op": op, "n": n, "secs": round(secs, 6), "ops_per_sec": round(n / secs, 1)}
    if latencies:
        latencies.sort()
        out["p50_us"] = round(percentile_us(latencies, 50), 1)
        out["p99_us"] = round(percentile_us(latencies, 99), 1)
    print(json.dumps(out), flush=True)


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--database-url")
    ap.add_argument("--cache-url", default="redis://127.0.0.1:6379/0")
    ap.add_argument("--chroma-url", default="http://127.0.0.1:8000")
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--ops")
    args = ap.parse_args()
    wants = (lambda op: True) if not args.ops else (lambda op: op in args.ops.split(","))
    count = lambda base: max(1, round(base * args.scale))  # noqa: E731

    if any(wants(op) for op in DATABASE_OPS):
        await database_ops(args, wants, count)
    if args.cache_url != "none" and any(wants(op) for op in CACHE_OPS):
        await cache_ops(args, wants, count)
    if args.chroma_url != "none" and any(wants(op) for op in VECTOR_OPS):
        await vector_ops(args, wants, count)

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"op": "peak_rss", "peak_rss_mb": round(peak, 1)}), flush=True)


async def database_ops(args, wants, count) -> None:
    """insert_bulk (it makes the rows), then every database op asked for."""
    scratch = tempfile.TemporaryDirectory()
    url = args.database_url or f"sqlite+aiosqlite:///{os.path.join(scratch.name, 'bench.sqlite3')}"
    sqlite = url.startswith("sqlite")
    engine = create_async_engine(url, pool_size=8, max_overflow=0)
    if sqlite:
        # The same connection settings the Rust layer uses: WAL, synchronous NORMAL, FKs on.
        @event.listens_for(engine.sync_engine, "connect")
        def _pragmas(dbapi_conn, _record):
            cur = dbapi_conn.cursor()
            for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON",
                           "busy_timeout=5000"):
                cur.execute(f"PRAGMA {pragma}")
            cur.close()

    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.drop_all)
        await conn.run_sync(Base.metadata.create_all)
    Session = async_sessionmaker(engine, expire_on_commit=False)

    rows = args.rows
    rng = random.Random(0x5EED)
    keys = [rng.randrange(rows) for _ in range(65_536)]

    # insert_bulk: ORM bulk INSERT, 1,000 rows per transaction; then ANALYZE, untimed.
    started = time.perf_counter()
    for start in range(0, rows, 1000):
        now = utcnow()
        async with Session.begin() as s:
            await s.execute(insert(ContentMetadata), [row(i, now) for i in range(start, min(start + 1000, rows))])
    emit("insert_bulk", rows, time.perf_counter() - started)
    async with engine.begin() as conn:
        await conn.execute(text("ANALYZE"))

    if wants("get_by_pk"):
        async def get_by_pk(i: int) -> None:
            async with Session() as s:
                if await s.get(ContentMetadata, f"c{keys[i % len(keys)]:08}") is None:
                    raise RuntimeError("missing row")
        n = count(20_000)
        emit("get_by_pk", n, *await concurrent(n, 8, get_by_pk))

    if wants("query_indexed"):
        async def query_indexed(k: int) -> None:
            async with Session() as s:
                stmt = (
                    select(ContentMetadata)
                    .where(ContentMetadata.technology == TECHS[k % 12],
                           ContentMetadata.quality_score >= 0.5)
                    .order_by(ContentMetadata.quality_score.desc(), ContentMetadata.content_id)
                    .limit(20)
                )
                (await s.scalars(stmt)).all()
        n = count(5_000)
        emit("query_indexed", n, *await concurrent(n, 8, query_indexed))

    if wants("update_by_pk"):
        async def update_by_pk(i: int) -> None:
            async with Session.begin() as s:
                await s.execute(
                    update(ContentMetadata)
                    .where(ContentMetadata.content_id == f"c{keys[(i * 7 + 1) % len(keys)]:08}")
                    .values(access_count=ContentMetadata.access_count + 1, last_accessed_at=utcnow())
                )
        n = count(10_000)
        emit("update_by_pk", n, *await concurrent(n, 8, update_by_pk))

    if wants("txn_feedback"):
        async def txn_feedback(i: int) -> None:
            cid = f"c{keys[(i * 13 + 3) % len(keys)]:08}"
            async with Session.begin() as s:
                s.add(FeedbackEvent(content_id=cid, feedback_type="helpful", rating=5))
                s.add(UsageSignal(content_id=cid, signal_type="click", signal_value=1.0))
                await s.flush()
                await s.execute(
                    update(ContentMetadata)
                    .where(ContentMetadata.content_id == cid)
                    .values(access_count=ContentMetadata.access_count + 1, last_accessed_at=utcnow())
                )
        n = count(2_000)
        emit("txn_feedback", n, *await concurrent(n, 8, txn_feedback))

    if wants("cleanup_expired"):
        total = count(100_000)
        now = utcnow()
        for start in range(0, total, 1000):
            async with Session.begin() as s:
                await s.execute(insert(SearchCache), [
                    dict(query_hash=sha256_hex(f"q{i}"), original_query=f"query {i}",
                         search_results=[], created_at=now, last_accessed_at=now,
                         expires_at=now + (timedelta(seconds=-1) if i % 2 == 0 else timedelta(hours=1)))
                    for i in range(start, min(start + 1000, total))
                ])
        started = time.perf_counter()
        async with Session.begin() as s:
            deleted = (await s.execute(delete(SearchCache).where(SearchCache.expires_at <= utcnow()))).rowcount
        emit("cleanup_expired", deleted, time.perf_counter() - started)

    await engine.dispose()


async def cache_ops(args, wants, count) -> None:
    """Every cache op asked for (cache_get reads what cache_set wrote)."""
    rng = random.Random(0x5EED)
    keys = [rng.randrange(args.rows) for _ in range(65_536)]
    r = aioredis.from_url(args.cache_url, max_connections=50)
    prefix = f"dal:refbench:{os.getpid()}:"
    written = count(20_000)
    qhash = lambda i: sha256_hex(f"query {i}")  # noqa: E731

    if wants("cache_set") or wants("cache_get"):
        async def cache_set(i: int) -> None:
            payload = gzip.compress(json.dumps(dataclasses.asdict(search_results(i))).encode())
            await r.set(f"{prefix}search:results:{qhash(i)}", payload, ex=3600)
        n = count(20_000)
        emit("cache_set", n, *await concurrent(n, 50, cache_set))

    if wants("cache_get"):
        async def cache_get(i: int) -> None:
            raw = await r.get(f"{prefix}search:results:{qhash(keys[i % len(keys)] % written)}")
            if raw is None:
                raise RuntimeError("cache_get missed")
            SearchResults.from_dict(json.loads(gzip.decompress(raw)))
        n = count(20_000)
        emit("cache_get", n, *await concurrent(n, 50, cache_get))

    if wants("rate_limit"):
        script = r.register_script(
            "local n = redis.call('INCRBY', KEYS[1], 1) "
            "if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end return n"
        )

        async def rate_limit(i: int) -> None:
            ip = f"10.0.{(i % 1000) // 250}.{(i % 1000) % 250}"
            n_ = await script(keys=[f"{prefix}rate_limit:api:{ip}"], args=[60_000])
            _allowed = n_ <= 1_000_000
        n = count(20_000)
        emit("rate_limit", n, *await concurrent(n, 50, rate_limit))

    async for key in r.scan_iter(match=f"{prefix}*", count=1000):
        await r.unlink(key)
    await r.aclose()


async def vector_ops(args, wants, count) -> None:
    """vector_upsert, then (when asked for) vector_load, vector_query and vector_query_filtered,
    through chromadb's AsyncHttpClient on a fresh cosine collection, dropped at the end."""
    from urllib.parse import urlparse

    import chromadb

    target = urlparse(args.chroma_url)
    client = await chromadb.AsyncHttpClient(
        host=target.hostname or "127.0.0.1",
        port=target.port or (443 if target.scheme == "https" else 8000),
        ssl=target.scheme == "https",
    )
    try:
        await client.delete_collection(VECTOR_COLLECTION)
    except Exception:  # noqa: BLE001 - none left from an earlier run
        pass
    collection = await client.create_collection(
        VECTOR_COLLECTION, configuration={"hnsw": {"space": "cosine"}}, embedding_function=None
    )
    try:
        rows = count(100_000)
        # Only the upsert calls are timed, not making their records.
        elapsed = 0.0
        for start in range(0, rows, VECTOR_BATCH):
            end = min(start + VECTOR_BATCH, rows)
            ids, documents, metadatas = zip(*(vector_record(i) for i in range(start, end)))
            batch = embeddings(start, end - start)
            started = time.perf_counter()
            await collection.upsert(
                ids=list(ids), embeddings=batch, documents=list(documents), metadatas=list(metadatas)
            )
            elapsed += time.perf_counter() - started
        if await collection.count() != rows:
            raise RuntimeError("vector_upsert: the collection does not hold every record")
        emit("vector_upsert", rows, elapsed)

        if wants("vector_query"):
            queries = embeddings(0, VECTOR_QUERIES, QUERY_BASE)
            started = time.perf_counter()
            await collection.query(query_embeddings=queries[:1], n_results=VECTOR_K)
            emit("vector_load", rows, time.perf_counter() - started)
            for op, where in [("vector_query", None), ("vector_query_filtered", {"technology": "rust"})]:
                async def query(i: int, where=where) -> None:
                    found = await collection.query(
                        query_embeddings=queries[i % VECTOR_QUERIES : i % VECTOR_QUERIES + 1],
                        n_results=VECTOR_K,
                        where=where,
                        include=["metadatas", "documents", "distances"],
                    )
                    if not found["ids"] or not found["ids"][0]:
                        raise RuntimeError("a query found nothing")
                n = count(2_000)
                emit(op, n, *await concurrent(n, 8, query))
    finally:
        await client.delete_collection(VECTOR_COLLECTION)


if __name__ == "__main__":
    asyncio.run(main())
