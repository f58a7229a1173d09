//! Vector collections for the embedded vector store (`repository::vector`): seeds 001 and 003
//! keep embeddings in ChromaDB; the embedded default keeps them here, in the project's own
//! database, so that a chunk and its embedding commit in one transaction.
//!
//! - `vector_collections`: one row per collection (name under Chroma's rules, dimension fixed for
//!   its life, distance `cosine` / `l2` / `ip`, JSON metadata). `seq` counts the collection's
//!   writes (every write moves it in its own transaction) and `purged_seq` is the `seq` of the last
//!   delete of records: an in-process copy of the vectors compares them with its own to know
//!   whether it is current, what it must read (`vector_records.seq > ` its own) and whether it
//!   must reload (a delete since). `uid` is new on every creation, so that a collection deleted
//!   and created again under the same name is never taken for the old one.
//! - `vector_records`: one row per record, keyed by `(collection, id)`, deleted with its
//!   collection; the embedding is a BLOB (`bytea`) of little-endian `f32`s; `seq` is the write
//!   that last set the row, indexed with the collection for the incremental reads.
//!
//! On PostgreSQL names and ids are `COLLATE "C"`, so that their order is byte order on both
//! backends (listings, paging, and ties of a query broken by id agree with SQLite's).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

use crate::common::{
    check_in, check_min, create_indexes, create_table, drop_tables, fk, forget_version, index,
    native, record_version,
};

/// Creates `vector_collections` and `vector_records`.
#[derive(DeriveMigrationName)]
pub struct Migration;

const DESCRIPTION: &str = "create vector tables: vector_collections, vector_records (embedded \
     vector store: embeddings as little-endian f32 BLOBs, write sequences for change detection)";

/// Children first, for `down`.
const TABLES: &[&str] = &["vector_records", "vector_collections"];

const DISTANCES: &[&str] = &["cosine", "l2", "ip"];

/// `name VARCHAR(512) NOT NULL`, in byte order on PostgreSQL.
fn key(backend: DbBackend, name: &'static str) -> ColumnDef {
    let mut column = ColumnDef::new(name);
    column.string_len(512).not_null();
    if backend == DbBackend::Postgres {
        column.extra("COLLATE \"C\"");
    }
    column
}

/// `name BIGINT NOT NULL DEFAULT 0`.
fn counter(name: &'static str) -> ColumnDef {
    ColumnDef::new(name)
        .big_integer()
        .not_null()
        .default(0)
        .take()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let b = manager.get_database_backend();
        create_table(
            manager,
            Table::create()
                .table("vector_collections")
                .col(key(b, "name").primary_key())
                .col(native::uuid(b, "uid").not_null())
                .col(ColumnDef::new("dimension").integer().not_null())
                .col(ColumnDef::new("distance").text().not_null())
                .col(native::json(b, "metadata").not_null().default("{}"))
                .col(counter("seq"))
                .col(counter("purged_seq"))
                .col(native::timestamp_now(b, "created_at"))
                .check(check_min("vector_collections", "dimension", 1))
                .check(check_in("vector_collections", "distance", DISTANCES))
                .take(),
        )
        .await?;
        create_table(
            manager,
            Table::create()
                .table("vector_records")
                .col(key(b, "collection"))
                .col(key(b, "id"))
                .col(ColumnDef::new("embedding").blob().not_null())
                .col(ColumnDef::new("document").text().null())
                .col(native::json(b, "metadata").not_null().default("{}"))
                .col(ColumnDef::new("seq").big_integer().not_null())
                .primary_key(Index::create().col("collection").col("id"))
                .foreign_key(&mut fk(
                    "vector_records",
                    "collection",
                    "vector_collections",
                    "name",
                    ForeignKeyAction::Cascade,
                ))
                .take(),
        )
        .await?;
        create_indexes(
            manager,
            [index(
                "idx_vector_records_collection_seq",
                "vector_records",
                &["collection", "seq"],
            )],
        )
        .await?;
        record_version(manager, self.name(), DESCRIPTION).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        forget_version(manager, self.name()).await?;
        drop_tables(manager, TABLES).await
    }
}
