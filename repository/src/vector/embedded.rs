//! [`EmbeddedVectorStore`]: vector collections in the project's own database (tables
//! `vector_collections` and `vector_records`), with exact k-nearest-neighbour search.
//!
//! # Writes
//!
//! Every write checks its input first (nothing is written on error), then runs in one
//! transaction that also moves the collection's `seq` (`UPDATE … SET seq = seq + 1 … RETURNING`):
//! upserted rows carry the new `seq`, and a delete also sets `purged_seq` to it. The update takes
//! the collection row's lock, so writers of one collection commit in `seq` order, on SQLite (one
//! writer at a time) and on PostgreSQL (row locks) alike.
//!
//! # Queries
//!
//! A store over the pool (`DatabaseConnection`) searches a [`Replica`] of the collection kept in
//! this process and shared by every store of the same database (keyed by the database and the
//! collection name, checked against the collection's `uid`). Each query first reads the
//! collection's row (one primary-key `SELECT`); when its `seq` is ahead of the replica's, the
//! replica catches up in one read snapshot: the rows written since (`seq >` the replica's), or all
//! rows when records were deleted since (`purged_seq >` the replica's). So a query sees every
//! write committed before it began, by this process or another one.
//!
//! Queries of one large collection that arrive while a search of it runs are answered together
//! by its next pass over the rows (up to [`PASS_QUERIES`] query embeddings a pass; a task started
//! by the first waiting query runs passes until none is waiting): one pass reads the embeddings
//! once for all of them, which is most of a pass's cost.
//!
//! A store over a transaction reads the collection through that transaction instead (so it sees
//! the transaction's own uncommitted writes) and never touches the shared replica.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Instant;

use async_trait::async_trait;
use entity::DbJson;
use entity::DbUuid;
use entity::vector::sea_orm_active_enums::VectorDistance;
use entity::vector::{vector_collections, vector_records};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    AccessMode, ActiveValue::NotSet, ActiveValue::Set, ColumnTrait, ConnectionTrait,
    DatabaseConnection, DatabaseExecutor, DatabaseTransaction, DbBackend, DbErr, EntityTrait,
    IsolationLevel, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Statement,
    TransactionSession, TransactionTrait,
};
use tokio::sync::{OwnedRwLockReadGuard, RwLock, oneshot};
use tracing::instrument;

use super::replica::{Replica, Row, Search};
use super::types::{
    Collection, CollectionName, Distance, Embedding, Metadata, NewCollection, QueryMatch, RecordId,
    StoredRecord, VectorHealth, VectorRecord, validate_embedding,
};
use super::{Filter, VectorStore};
use crate::error::{Error, Result};
use crate::manager::begin_write;
use crate::page::Page;
use crate::store::{Db, Table};

impl Table for vector_collections::Entity {
    const ROW: &'static str = "collection";
}

/// Columns bound per record by an upsert.
const RECORD_COLUMNS: usize = 6;

/// Ids bound per `IN (…)` list of a read or a delete by ids.
const IDS_PER_STATEMENT: usize = 1000;

/// Query embeddings answered by one pass over a replica at most. A pass of 4 costs about twice a
/// pass of 1 (the rows are read once; the arithmetic grows), a pass of 8 about four times: with
/// 8 queries waiting, two passes of 4 answer half of them sooner than one pass of 8 answers all,
/// for the same total work (bench/README.md).
const PASS_QUERIES: usize = 4;

/// Rows × dimension below which a search runs on the calling task rather than on a blocking
/// thread (handing it over would cost more than the scan).
const INLINE_SEARCH_FLOATS: usize = 1 << 16;

/// What [`EmbeddedVectorStore`] needs of its connection: [`Db`], and whether it is the pool
/// itself, whose queries may use the shared in-process replica, or a unit of work, whose
/// queries must see its own uncommitted writes and so read the database.
pub trait VectorDb: Db {
    /// The pool, when this is one (not a transaction).
    fn pool(&self) -> Option<&DatabaseConnection>;
}

impl VectorDb for DatabaseConnection {
    fn pool(&self) -> Option<&DatabaseConnection> {
        Some(self)
    }
}

impl VectorDb for DatabaseTransaction {
    fn pool(&self) -> Option<&DatabaseConnection> {
        None
    }
}

impl VectorDb for DatabaseExecutor<'_> {
    fn pool(&self) -> Option<&DatabaseConnection> {
        match self {
            Self::Connection(conn) => Some(conn),
            Self::Transaction(_) | Self::OwnedTransaction(_) => None,
        }
    }
}

crate::store! {
    /// [`VectorStore`] in the project's own database (SQLite or PostgreSQL), with exact search
    /// over an in-process replica of each collection (see the module's documentation).
    pub struct EmbeddedVectorStore;
}

impl From<Distance> for VectorDistance {
    fn from(value: Distance) -> Self {
        match value {
            Distance::Cosine => Self::Cosine,
            Distance::L2 => Self::L2,
            Distance::InnerProduct => Self::InnerProduct,
        }
    }
}

impl From<VectorDistance> for Distance {
    fn from(value: VectorDistance) -> Self {
        match value {
            VectorDistance::Cosine => Self::Cosine,
            VectorDistance::L2 => Self::L2,
            VectorDistance::InnerProduct => Self::InnerProduct,
        }
    }
}

/// A collection's row: its settings and where its writes stand.
#[derive(Debug, Clone)]
struct Head {
    uid: DbUuid,
    dimension: u32,
    distance: Distance,
    metadata: Metadata,
    seq: i64,
    purged_seq: i64,
}

impl Head {
    fn of(model: vector_collections::Model) -> Result<Self> {
        Ok(Self {
            uid: model.uid,
            dimension: u32::try_from(model.dimension).map_err(|_| corrupt("dimension"))?,
            distance: model.distance.into(),
            metadata: metadata_of(model.metadata)?,
            seq: model.seq,
            purged_seq: model.purged_seq,
        })
    }

    fn collection(&self, name: &CollectionName, count: u64) -> Collection {
        Collection {
            name: name.clone(),
            dimension: self.dimension,
            distance: self.distance,
            metadata: self.metadata.clone(),
            count,
        }
    }
}

/// A stored value this crate did not write the way it reads it.
fn corrupt(what: &str) -> Error {
    Error::Db(DbErr::Type(format!("vector store: unreadable {what}")))
}

fn metadata_of(json: DbJson) -> Result<Metadata> {
    serde_json::from_value(json.into_inner()).map_err(|_| corrupt("metadata"))
}

fn json_of(metadata: &Metadata) -> Result<DbJson> {
    serde_json::to_value(metadata)
        .map(DbJson)
        .map_err(|e| Error::validation("metadata", "must serialise to JSON", e))
}

/// The embedding as stored: little-endian `f32`s.
fn encode(embedding: &[f32]) -> Vec<u8> {
    embedding.iter().flat_map(|x| x.to_le_bytes()).collect()
}

fn decode(bytes: &[u8], dimension: u32) -> Result<Vec<f32>> {
    if bytes.len() != dimension as usize * 4 {
        return Err(corrupt("embedding"));
    }
    Ok(bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect())
}

fn row_of(model: vector_records::Model, dimension: u32) -> Result<Row> {
    Ok(Row {
        id: RecordId::parse(&model.id).map_err(|_| corrupt("id"))?,
        embedding: decode(&model.embedding, dimension)?,
        document: model.document,
        metadata: metadata_of(model.metadata)?,
    })
}

/// The collection's row.
async fn head<C: ConnectionTrait>(db: &C, name: &CollectionName) -> Result<Head> {
    let model = vector_collections::Entity::find_by_id(name.as_str())
        .one(db)
        .await?
        .ok_or_else(|| crate::store::not_found::<vector_collections::Entity>(name))?;
    Head::of(model)
}

async fn count_records<C: ConnectionTrait>(db: &C, name: &CollectionName) -> Result<u64> {
    Ok(vector_records::Entity::find()
        .filter(vector_records::Column::Collection.eq(name.as_str()))
        .count(db)
        .await?)
}

/// Move the collection's `seq` (and, for a delete, `purged_seq` with it) inside `txn`; returns
/// the new `seq`. Takes the collection row's write lock until `txn` ends.
async fn bump<C: ConnectionTrait>(
    txn: &C,
    name: &CollectionName,
    expected: &Head,
    purge: bool,
) -> Result<i64> {
    let sql = if purge {
        "UPDATE vector_collections SET seq = seq + 1, purged_seq = seq + 1 \
         WHERE name = $1 RETURNING seq, dimension, uid"
    } else {
        "UPDATE vector_collections SET seq = seq + 1 WHERE name = $1 RETURNING seq, dimension, uid"
    };
    let backend = txn.get_database_backend();
    let row = txn
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [name.as_str().into()],
        ))
        .await?
        .ok_or_else(|| crate::store::not_found::<vector_collections::Entity>(name))?;
    let seq: i64 = row.try_get("", "seq")?;
    let dimension: i32 = row.try_get("", "dimension")?;
    let uid: DbUuid = row.try_get("", "uid")?;
    if uid != expected.uid || u32::try_from(dimension).ok() != Some(expected.dimension) {
        return Err(Error::Conflict(format!(
            "collection {name} was replaced while the write was being prepared"
        )));
    }
    Ok(seq)
}

/// Where a replica of one collection lives: the database (as the pool reaches it) and the name.
type ReplicaKey = (String, String);

/// A replica, the collection incarnation it copies and how far it has read.
#[derive(Debug)]
struct Shared {
    uid: DbUuid,
    seq: i64,
    replica: Replica,
}

/// A search waiting for the next pass over a replica, and where its answer goes.
struct Job {
    search: Search,
    answer: oneshot::Sender<Vec<Vec<QueryMatch>>>,
}

/// One replica, and the searches waiting for its next pass.
#[derive(Default)]
struct Slot {
    data: Arc<RwLock<Option<Shared>>>,
    waiting: Mutex<Vec<Job>>,
    /// Whether a query is leading passes (it runs every waiting search until none is left).
    leading: AtomicBool,
}

impl Slot {
    /// The searches of the next pass: the oldest waiting, up to [`PASS_QUERIES`] query
    /// embeddings (and at least one search).
    fn next_pass(&self) -> Vec<Job> {
        let mut waiting = self
            .waiting
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut queries = 0;
        let take = waiting
            .iter()
            .take_while(|job| {
                queries += job.search.queries.len();
                queries <= PASS_QUERIES
            })
            .count()
            .max(1)
            .min(waiting.len());
        waiting.drain(..take).collect()
    }

    /// Every waiting search, taken away.
    fn take_waiting(&self) -> Vec<Job> {
        std::mem::take(
            &mut *self
                .waiting
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        )
    }
}

/// The lead of a slot's passes; if the leader stops without handing back (its pass failed),
/// the searches waiting are answered with an error and the lead is free.
struct Lead {
    slot: Arc<Slot>,
    done: bool,
}

impl Drop for Lead {
    fn drop(&mut self) {
        if !self.done {
            drop(self.slot.take_waiting());
            self.slot.leading.store(false, Ordering::Release);
        }
    }
}

/// Run passes over the replica under `guard` until no search is waiting, then hand the lead
/// back (and the guard).
async fn lead(slot: Arc<Slot>, mut guard: OwnedRwLockReadGuard<Option<Shared>>) {
    let mut lead = Lead { slot, done: false };
    loop {
        let jobs = lead.slot.next_pass();
        if jobs.is_empty() {
            lead.slot.leading.store(false, Ordering::Release);
            // A search queued between the take and the store would have no leader.
            let stranded = !lead
                .slot
                .waiting
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .is_empty();
            if stranded && !lead.slot.leading.swap(true, Ordering::AcqRel) {
                continue;
            }
            lead.done = true;
            return;
        }
        let pass = tokio::task::spawn_blocking(move || {
            let (searches, answers): (Vec<Search>, Vec<_>) =
                jobs.into_iter().map(|j| (j.search, j.answer)).unzip();
            let results = guard.as_ref().map_or_else(
                || vec![Vec::new(); searches.len()],
                |s| s.replica.search_batch(&searches),
            );
            for (answer, found) in answers.into_iter().zip(results) {
                // A caller that went away no longer wants its answer.
                let _ = answer.send(found);
            }
            guard
        })
        .await;
        match pass {
            Ok(back) => guard = back,
            Err(e) => {
                tracing::error!(error = %e, "vector search pass failed");
                return;
            }
        }
    }
}

/// Every replica of this process.
static REPLICAS: LazyLock<Mutex<HashMap<ReplicaKey, Arc<Slot>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

fn slot(key: ReplicaKey) -> Arc<Slot> {
    let mut map = REPLICAS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    Arc::clone(map.entry(key).or_default())
}

fn forget(key: &ReplicaKey) {
    REPLICAS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .remove(key);
}

/// The database the pool reaches, for keying replicas and for `health` (no user, no password).
fn database_identity(pool: &DatabaseConnection) -> String {
    match pool.get_database_backend() {
        DbBackend::Sqlite => format!(
            "sqlite:{}",
            pool.get_sqlite_connection_pool()
                .connect_options()
                .get_filename()
                .display()
        ),
        DbBackend::Postgres => {
            let options = pool.get_postgres_connection_pool().connect_options();
            format!(
                "postgres://{}:{}/{}",
                options.get_host(),
                options.get_port(),
                options.get_database().unwrap_or_default()
            )
        }
        other => format!("{other:?}"),
    }
}

/// Begin a read-only snapshot: every statement of it sees the same committed state.
async fn begin_snapshot(pool: &DatabaseConnection) -> Result<DatabaseTransaction> {
    Ok(match pool.get_database_backend() {
        // A deferred SQLite transaction reads one snapshot (WAL) from its first statement on.
        DbBackend::Sqlite => pool.begin().await?,
        _ => {
            pool.begin_with_config(
                Some(IsolationLevel::RepeatableRead),
                Some(AccessMode::ReadOnly),
            )
            .await?
        }
    })
}

/// Records read per statement when a whole collection is loaded (so that only one page of
/// stored rows is in memory beside the replica).
const LOAD_PAGE: u64 = 5_000;

/// Put the collection's records into `replica`: those with `seq > after`, or all of them (in
/// pages, by id) when `after` is `None`. Returns how many were read.
async fn load_into<C: ConnectionTrait>(
    db: &C,
    name: &CollectionName,
    after: Option<i64>,
    replica: &mut Replica,
    dimension: u32,
) -> Result<usize> {
    let in_collection = vector_records::Column::Collection.eq(name.as_str());
    if let Some(seq) = after {
        let models = vector_records::Entity::find()
            .filter(in_collection)
            .filter(vector_records::Column::Seq.gt(seq))
            .all(db)
            .await?;
        let read = models.len();
        put_all(replica, models, dimension)?;
        return Ok(read);
    }
    let total = count_records(db, name).await?;
    replica.reserve(usize::try_from(total).unwrap_or(0));
    let mut read = 0;
    let mut last: Option<String> = None;
    loop {
        let mut page = vector_records::Entity::find().filter(in_collection.clone());
        if let Some(id) = &last {
            page = page.filter(vector_records::Column::Id.gt(id.as_str()));
        }
        let models = page
            .order_by_asc(vector_records::Column::Id)
            .limit(LOAD_PAGE)
            .all(db)
            .await?;
        let Some(tail) = models.last() else {
            return Ok(read);
        };
        last = Some(tail.id.clone());
        read += models.len();
        put_all(replica, models, dimension)?;
    }
}

/// Put `models` into `replica`, each decoded as it goes in.
fn put_all(
    replica: &mut Replica,
    models: Vec<vector_records::Model>,
    dimension: u32,
) -> Result<()> {
    replica.reserve(models.len());
    for model in models {
        replica.put(row_of(model, dimension)?);
    }
    Ok(())
}

/// Bring `shared` up to the collection's committed state (at least `wanted.seq`): the rows
/// written since it last read, or all of them after a delete or when it copies another
/// incarnation.
#[instrument(skip_all, fields(vector.collection = %name, vector.full, vector.rows))]
async fn refresh(
    pool: &DatabaseConnection,
    name: &CollectionName,
    shared: &mut Option<Shared>,
    wanted: &Head,
) -> Result<()> {
    if shared
        .as_ref()
        .is_some_and(|s| s.uid == wanted.uid && s.seq >= wanted.seq)
    {
        return Ok(());
    }
    let txn = begin_snapshot(pool).await?;
    let now = head(&txn, name).await?;
    let incremental = shared
        .as_ref()
        .filter(|s| s.uid == now.uid && now.purged_seq <= s.seq)
        .map(|s| s.seq);
    // Taken out while it changes: if a stored row cannot be read, the replica is dropped and the
    // next query reads the collection afresh.
    let mut current = match shared.take() {
        Some(s) if incremental.is_some() => s,
        _ => Shared {
            uid: now.uid,
            seq: 0,
            replica: Replica::new(now.dimension as usize, now.distance),
        },
    };
    let read = load_into(&txn, name, incremental, &mut current.replica, now.dimension).await?;
    txn.commit().await?;
    let span = tracing::Span::current();
    span.record("vector.full", incremental.is_none());
    span.record("vector.rows", read);
    current.seq = now.seq;
    *shared = Some(current);
    Ok(())
}

/// Check every query embedding against the collection.
fn validate_queries(embeddings: &[Embedding], dimension: u32, k: u32) -> Result<()> {
    if k == 0 {
        return Err(Error::validation("k", "must be at least 1", 0));
    }
    for (i, embedding) in embeddings.iter().enumerate() {
        validate_embedding(&format!("embeddings[{i}]"), embedding, dimension)?;
    }
    Ok(())
}

/// `ids` without repeats, in order of first appearance.
fn unique_ids(ids: &[RecordId]) -> Vec<&str> {
    let mut seen = HashSet::with_capacity(ids.len());
    ids.iter()
        .map(RecordId::as_str)
        .filter(|id| seen.insert(*id))
        .collect()
}

impl<C: VectorDb> EmbeddedVectorStore<C> {
    /// The replica key of `name` for a store over the pool.
    fn key(pool: &DatabaseConnection, name: &CollectionName) -> ReplicaKey {
        (database_identity(pool), name.as_str().to_owned())
    }

    /// Search the shared replica, refreshed first if the collection moved on.
    async fn search_shared(
        pool: &DatabaseConnection,
        name: &CollectionName,
        head: &Head,
        search: Search,
    ) -> Result<Vec<Vec<QueryMatch>>> {
        let slot = slot(Self::key(pool, name));
        let mut guard = Arc::clone(&slot.data).read_owned().await;
        let current = guard
            .as_ref()
            .is_some_and(|s| s.uid == head.uid && s.seq >= head.seq);
        if !current {
            drop(guard);
            let mut writer = Arc::clone(&slot.data).write_owned().await;
            refresh(pool, name, &mut writer, head).await?;
            guard = writer.downgrade();
        }
        let size = guard
            .as_ref()
            .map_or(0, |s| s.replica.len() * head.dimension as usize);
        if size < INLINE_SEARCH_FLOATS {
            return Ok(guard.as_ref().map_or_else(
                || vec![Vec::new(); search.queries.len()],
                |s| {
                    s.replica
                        .search_batch(std::slice::from_ref(&search))
                        .remove(0)
                },
            ));
        }
        // Wait for the next pass. The read guard is held until the answer comes, so the replica
        // cannot change before the pass that answers (whoever leads it, under its own guard).
        let (answer, answered) = oneshot::channel();
        slot.waiting
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(Job { search, answer });
        if !slot.leading.swap(true, Ordering::AcqRel) {
            // The passes run on a task of their own, which keeps this guard until no search is
            // waiting: this query returns as soon as its own pass is done.
            tokio::spawn(lead(Arc::clone(&slot), guard));
            return answered
                .await
                .map_err(|_| Error::Db(DbErr::Custom("vector search failed".to_owned())));
        }
        let found = answered
            .await
            .map_err(|_| Error::Db(DbErr::Custom("vector search failed".to_owned())))?;
        drop(guard);
        Ok(found)
    }

    /// Search the collection as this store's transaction sees it, without the shared replica.
    async fn search_in_transaction(
        &self,
        name: &CollectionName,
        head: &Head,
        queries: &[Embedding],
        k: usize,
        filter: Option<&Filter>,
    ) -> Result<Vec<Vec<QueryMatch>>> {
        let mut replica = Replica::new(head.dimension as usize, head.distance);
        load_into(&self.db, name, None, &mut replica, head.dimension).await?;
        Ok(replica.search(queries, k, filter))
    }
}

#[async_trait]
impl<C: VectorDb> VectorStore for EmbeddedVectorStore<C> {
    #[instrument(skip_all, fields(vector.collection = %new.name))]
    async fn create_collection(&self, new: NewCollection) -> Result<Collection> {
        new.validate()?;
        let dimension = i32::try_from(new.dimension)
            .map_err(|_| Error::validation("dimension", "must fit in 31 bits", new.dimension))?;
        let row = vector_collections::ActiveModel {
            name: Set(new.name.as_str().to_owned()),
            uid: Set(DbUuid::new_v4()),
            dimension: Set(dimension),
            distance: Set(new.distance.into()),
            metadata: Set(json_of(&new.metadata)?),
            seq: Set(0),
            purged_seq: Set(0),
            created_at: NotSet,
        };
        vector_collections::Entity::insert(row)
            .on_conflict_do_nothing_on([vector_collections::Column::Name])
            .exec_without_returning(&self.db)
            .await?;
        let existing = head(&self.db, &new.name).await?;
        if existing.dimension != new.dimension || existing.distance != new.distance {
            return Err(Error::Conflict(format!(
                "collection {} exists with dimension {} and distance {}",
                new.name, existing.dimension, existing.distance
            )));
        }
        let count = count_records(&self.db, &new.name).await?;
        Ok(existing.collection(&new.name, count))
    }

    #[instrument(skip_all, fields(vector.collection = %name))]
    async fn get_collection(&self, name: &CollectionName) -> Result<Collection> {
        let found = head(&self.db, name).await?;
        let count = count_records(&self.db, name).await?;
        Ok(found.collection(name, count))
    }

    #[instrument(skip_all)]
    async fn list_collections(&self) -> Result<Vec<Collection>> {
        let backend = self.db.get_database_backend();
        let rows = self
            .db
            .query_all_raw(Statement::from_string(
                backend,
                "SELECT c.name, (SELECT count(*) FROM vector_records r WHERE r.collection = c.name) \
                 AS records FROM vector_collections c ORDER BY c.name",
            ))
            .await?;
        let counts: HashMap<String, i64> = rows
            .iter()
            .map(|r| Ok((r.try_get("", "name")?, r.try_get("", "records")?)))
            .collect::<Result<_, DbErr>>()?;
        let models = vector_collections::Entity::find()
            .order_by_asc(vector_collections::Column::Name)
            .all(&self.db)
            .await?;
        models
            .into_iter()
            .map(|model| {
                let name = CollectionName::parse(&model.name).map_err(|_| corrupt("name"))?;
                let count = counts.get(&model.name).copied().unwrap_or(0);
                let head = Head::of(model)?;
                Ok(head.collection(&name, u64::try_from(count).unwrap_or(0)))
            })
            .collect()
    }

    #[instrument(skip_all, fields(vector.collection = %name))]
    async fn delete_collection(&self, name: &CollectionName) -> Result<()> {
        crate::store::delete_one::<vector_collections::Entity, _, _>(&self.db, name.as_str())
            .await?;
        if let Some(pool) = self.db.pool() {
            forget(&Self::key(pool, name));
        }
        Ok(())
    }

    #[instrument(skip_all, fields(vector.collection = %collection, vector.records = records.len()))]
    async fn upsert(&self, collection: &CollectionName, records: Vec<VectorRecord>) -> Result<u64> {
        let head = head(&self.db, collection).await?;
        for (i, record) in records.iter().enumerate() {
            record.validate(i, head.dimension)?;
        }
        if records.is_empty() {
            return Ok(0);
        }
        // The last occurrence of each id wins.
        let mut seen = HashSet::with_capacity(records.len());
        let mut unique: Vec<VectorRecord> = records
            .into_iter()
            .rev()
            .filter(|r| seen.insert(r.id.clone()))
            .collect();
        unique.reverse();
        let metadata: Vec<DbJson> = unique
            .iter()
            .map(|r| json_of(&r.metadata))
            .collect::<Result<_>>()?;
        let total = unique.len() as u64;
        let per_statement =
            crate::bulk::rows_per_statement(self.db.get_database_backend(), RECORD_COLUMNS);

        let txn = begin_write(&self.db).await?;
        let seq = bump(&txn, collection, &head, false).await?;
        let mut rows = unique.into_iter().zip(metadata).peekable();
        while rows.peek().is_some() {
            let chunk: Vec<vector_records::ActiveModel> = rows
                .by_ref()
                .take(per_statement)
                .map(|(record, metadata)| vector_records::ActiveModel {
                    collection: Set(collection.as_str().to_owned()),
                    id: Set(record.id.as_str().to_owned()),
                    embedding: Set(encode(&record.embedding)),
                    document: Set(record.document),
                    metadata: Set(metadata),
                    seq: Set(seq),
                })
                .collect();
            vector_records::Entity::insert_many(chunk)
                .on_conflict(
                    OnConflict::columns([
                        vector_records::Column::Collection,
                        vector_records::Column::Id,
                    ])
                    .update_columns([
                        vector_records::Column::Embedding,
                        vector_records::Column::Document,
                        vector_records::Column::Metadata,
                        vector_records::Column::Seq,
                    ])
                    .to_owned(),
                )
                .exec_without_returning(&txn)
                .await?;
        }
        txn.commit().await?;
        Ok(total)
    }

    #[instrument(skip_all, fields(vector.collection = %collection, vector.ids = ids.len()))]
    async fn get(
        &self,
        collection: &CollectionName,
        ids: &[RecordId],
    ) -> Result<Vec<StoredRecord>> {
        let head = head(&self.db, collection).await?;
        let wanted = unique_ids(ids);
        let mut found: HashMap<String, vector_records::Model> = HashMap::new();
        for chunk in wanted.chunks(IDS_PER_STATEMENT) {
            let models = vector_records::Entity::find()
                .filter(vector_records::Column::Collection.eq(collection.as_str()))
                .filter(vector_records::Column::Id.is_in(chunk.iter().copied()))
                .all(&self.db)
                .await?;
            found.extend(models.into_iter().map(|m| (m.id.clone(), m)));
        }
        wanted
            .into_iter()
            .filter_map(|id| found.remove(id))
            .map(|model| {
                let row = row_of(model, head.dimension)?;
                Ok(StoredRecord {
                    id: row.id,
                    embedding: row.embedding,
                    document: row.document,
                    metadata: row.metadata,
                })
            })
            .collect()
    }

    #[instrument(skip_all, fields(vector.collection = %collection, vector.ids = ids.len()))]
    async fn delete(&self, collection: &CollectionName, ids: &[RecordId]) -> Result<u64> {
        let head = head(&self.db, collection).await?;
        let ids = unique_ids(ids);
        if ids.is_empty() {
            return Ok(0);
        }
        let txn = begin_write(&self.db).await?;
        bump(&txn, collection, &head, true).await?;
        let mut deleted = 0;
        for chunk in ids.chunks(IDS_PER_STATEMENT) {
            deleted += vector_records::Entity::delete_many()
                .filter(vector_records::Column::Collection.eq(collection.as_str()))
                .filter(vector_records::Column::Id.is_in(chunk.iter().copied()))
                .exec(&txn)
                .await?
                .rows_affected;
        }
        if deleted == 0 {
            // Nothing changed: leave the sequence (and every replica) as it was.
            txn.rollback().await?;
        } else {
            txn.commit().await?;
        }
        Ok(deleted)
    }

    #[instrument(skip_all, fields(vector.collection = %collection, vector.deleted))]
    async fn delete_where(&self, collection: &CollectionName, filter: &Filter) -> Result<u64> {
        filter.validate()?;
        let head = head(&self.db, collection).await?;
        let txn = begin_write(&self.db).await?;
        bump(&txn, collection, &head, true).await?;
        let candidates: Vec<(String, DbJson)> = vector_records::Entity::find()
            .select_only()
            .column(vector_records::Column::Id)
            .column(vector_records::Column::Metadata)
            .filter(vector_records::Column::Collection.eq(collection.as_str()))
            .into_tuple()
            .all(&txn)
            .await?;
        let mut matched = Vec::new();
        for (id, metadata) in candidates {
            if filter.matches(&metadata_of(metadata)?) {
                matched.push(id);
            }
        }
        let mut deleted = 0;
        for chunk in matched.chunks(IDS_PER_STATEMENT) {
            deleted += vector_records::Entity::delete_many()
                .filter(vector_records::Column::Collection.eq(collection.as_str()))
                .filter(vector_records::Column::Id.is_in(chunk.iter().map(String::as_str)))
                .exec(&txn)
                .await?
                .rows_affected;
        }
        if deleted == 0 {
            txn.rollback().await?;
        } else {
            txn.commit().await?;
        }
        tracing::Span::current().record("vector.deleted", deleted);
        Ok(deleted)
    }

    #[instrument(skip_all, fields(vector.collection = %collection))]
    async fn list_ids(&self, collection: &CollectionName, page: Page) -> Result<Vec<RecordId>> {
        let page = page.validate()?;
        head(&self.db, collection).await?;
        let ids: Vec<String> = vector_records::Entity::find()
            .select_only()
            .column(vector_records::Column::Id)
            .filter(vector_records::Column::Collection.eq(collection.as_str()))
            .order_by_asc(vector_records::Column::Id)
            .limit(page.limit)
            .offset(page.offset)
            .into_tuple()
            .all(&self.db)
            .await?;
        ids.iter()
            .map(|id| RecordId::parse(id).map_err(|_| corrupt("id")))
            .collect()
    }

    #[instrument(skip_all, fields(vector.collection = %collection))]
    async fn count(&self, collection: &CollectionName) -> Result<u64> {
        head(&self.db, collection).await?;
        count_records(&self.db, collection).await
    }

    #[instrument(skip_all, fields(vector.collection = %collection, vector.queries = embeddings.len(), vector.k = k))]
    async fn query(
        &self,
        collection: &CollectionName,
        embeddings: &[Embedding],
        k: u32,
        filter: Option<Filter>,
    ) -> Result<Vec<Vec<QueryMatch>>> {
        if let Some(filter) = &filter {
            filter.validate()?;
        }
        let head = head(&self.db, collection).await?;
        validate_queries(embeddings, head.dimension, k)?;
        if embeddings.is_empty() {
            return Ok(Vec::new());
        }
        let k = k as usize;
        match self.db.pool() {
            Some(pool) => {
                let search = Search {
                    queries: embeddings.to_vec(),
                    k,
                    filter,
                };
                Self::search_shared(pool, collection, &head, search).await
            }
            None => {
                self.search_in_transaction(collection, &head, embeddings, k, filter.as_ref())
                    .await
            }
        }
    }

    #[instrument(skip_all)]
    async fn health(&self) -> VectorHealth {
        let backend = self.db.get_database_backend();
        let target = self
            .db
            .pool()
            .map_or_else(|| format!("{backend:?} transaction"), database_identity);
        let started = Instant::now();
        let ping = self
            .db
            .execute_raw(Statement::from_string(backend, "SELECT 1"))
            .await;
        let round_trip_ms = started.elapsed().as_secs_f64() * 1e3;
        let listed = match ping {
            Ok(_) => self.list_collections().await,
            Err(e) => Err(e.into()),
        };
        match listed {
            Ok(collections) => VectorHealth {
                backend: "embedded".to_owned(),
                target,
                reachable: true,
                round_trip_ms: Some((round_trip_ms * 1e3).round() / 1e3),
                collections: collections.into_iter().map(|c| (c.name, c.count)).collect(),
                error: None,
            },
            Err(e) => VectorHealth {
                backend: "embedded".to_owned(),
                target,
                reachable: false,
                round_trip_ms: None,
                collections: Vec::new(),
                error: Some(e.to_string()),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embeddings_are_stored_as_little_endian_f32() {
        let v = [1.0_f32, -2.5, f32::MIN_POSITIVE];
        let bytes = encode(&v);
        assert_eq!(&bytes[..4], &1.0_f32.to_le_bytes());
        assert_eq!(decode(&bytes, 3).expect("decode"), v);
        assert!(decode(&bytes, 2).is_err());
    }
}
