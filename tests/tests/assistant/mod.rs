//! The assistant repositories (seed 003): every method on SQLite and PostgreSQL; the schema
//! cache's key invalidation on the in-process cache and on Redis; documents with their vectors in
//! the embedded vector store.

mod analytics;
mod cleanup;
mod documents;
mod log_sink;
mod logs;
mod metrics;
mod queries;
mod schema_cache;
mod sessions;

use chrono::{DateTime, Utc};
use repository::entity::{DbDateTime, DbUuid};
use repository::sea_orm::sea_query::Expr;
use repository::sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use tests::TestDb;

/// Set the timestamp `column` of the row of `E` whose `id` column is `id` (to place rows in
/// time).
pub async fn set_time<E: EntityTrait>(
    db: &TestDb,
    column: E::Column,
    id_column: E::Column,
    id: DbUuid,
    at: DateTime<Utc>,
) {
    let updated = E::update_many()
        .col_expr(column, Expr::value(DbDateTime::from(at)))
        .filter(id_column.eq(id))
        .exec(&db.conn)
        .await
        .expect("set a timestamp");
    assert_eq!(updated.rows_affected, 1, "no row {id}");
}
