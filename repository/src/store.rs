//! What every repository implementation shares, so that a new repository is a trait, its `New*`
//! input types and its queries, nothing else.
//!
//! - [`store!`](crate::store!) declares the `XxxStore<C>` that implements the trait, over a pool
//!   handle (`DatabaseConnection`) or, to join a caller's unit of work, a transaction;
//!   [`Db`] is the bound its `impl` takes.
//! - [`Table`] names the rows of a table in [`Error::NotFound`]; [`get`], [`update_one`],
//!   [`update_one_returning`] and [`delete_one`] are the one-row statements keyed by primary key
//!   that answer `NotFound` when no row has the key; [`update_returning`] is the `UPDATE …
//!   RETURNING` under them, for updates with conditions of their own.
//! - [`validate_batch`] checks every input of a batch before anything is written and names the
//!   bad one (`docs[3].title`).
//! - [`insertable`] turns a model built in Rust into an insert that writes every column.
//!
//! Writes of more than one statement open their transaction with [`crate::begin_write`].
//!
//! # A new repository
//!
//! ```no_run
//! use repository::sea_orm::sea_query::Expr;
//! use repository::sea_orm::{EntityTrait, QueryOrder};
//! use repository::store::{self, Db, Table};
//! use repository::{Result, async_trait, validate};
//!
//! # mod notes {
//! #     use sea_orm::entity::prelude::*;
//! #     #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
//! #     #[sea_orm(table_name = "notes")]
//! #     pub struct Model {
//! #         #[sea_orm(primary_key, auto_increment = false)]
//! #         pub note_id: String,
//! #         pub body: String,
//! #     }
//! #     #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
//! #     pub enum Relation {}
//! #     impl ActiveModelBehavior for ActiveModel {}
//! # }
//! // The entity (`notes`) lives in the `entity` crate; its rows are called this in errors:
//! impl Table for notes::Entity {
//!     const ROW: &'static str = "note";
//! }
//!
//! /// The trait: what callers use, mockable (`#[cfg_attr(any(test, feature = "mock"),
//! /// mockall::automock)]` above `#[async_trait]`).
//! #[async_trait]
//! pub trait NoteRepository: Send + Sync {
//!     /// The note with this id.
//!     async fn get(&self, note_id: &str) -> Result<notes::Model>;
//!     /// Every note, by id.
//!     async fn list(&self) -> Result<Vec<notes::Model>>;
//!     /// Replace a note's text.
//!     async fn rewrite(&self, note_id: &str, body: &str) -> Result<notes::Model>;
//! }
//!
//! repository::store! {
//!     /// [`NoteRepository`] on SeaORM.
//!     pub struct NoteStore;
//! }
//!
//! // The queries.
//! #[async_trait]
//! impl<C: Db> NoteRepository for NoteStore<C> {
//!     async fn get(&self, note_id: &str) -> Result<notes::Model> {
//!         store::get::<notes::Entity, _, _>(&self.db, note_id).await
//!     }
//!
//!     async fn list(&self) -> Result<Vec<notes::Model>> {
//!         Ok(notes::Entity::find().order_by_asc(notes::Column::NoteId).all(&self.db).await?)
//!     }
//!
//!     async fn rewrite(&self, note_id: &str, body: &str) -> Result<notes::Model> {
//!         validate::text("body", body, 10_000)?;
//!         let update = notes::Entity::update_many().col_expr(notes::Column::Body, Expr::value(body));
//!         store::update_one_returning(&self.db, note_id, update).await
//!     }
//! }
//! //! ```

use std::fmt::Display;

use sea_orm::sea_query::{Query, SimpleExpr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, FromQueryResult,
    IntoActiveModel, Iterable, PrimaryKeyToColumn, PrimaryKeyTrait, QueryFilter, QueryTrait,
    TransactionTrait, UpdateMany,
};

use crate::error::{Error, Result};
use crate::replica::ReadRoute;

/// What a store's `impl` needs of its connection: a pool handle (`DatabaseConnection`), a
/// transaction (`DatabaseTransaction`), a `DatabaseExecutor` over either, or a
/// [`crate::DbRouter`] (the primary and its read replicas). Replica-safe reads run on
/// `self.db.reader()` ([`ReadRoute`]): a replica on a router, the connection itself otherwise.
pub trait Db: ConnectionTrait + TransactionTrait + ReadRoute + Send + Sync {}

impl<C: ConnectionTrait + TransactionTrait + ReadRoute + Send + Sync> Db for C {}

/// Declare a store: `pub struct XxxStore<C>` holding the connection in `db`, with `new`,
/// `Debug` and `Clone`. Doc comments and attributes before `struct` are kept.
///
/// ```
/// repository::store! {
///     /// A store of nothing.
///     pub struct NothingStore;
/// }
/// let store = NothingStore::new(());
/// assert_eq!(store.connection(), &());
/// ```
#[macro_export]
macro_rules! store {
    ($(#[$meta:meta])* $vis:vis struct $name:ident;) => {
        $(#[$meta])*
        ///
        /// `C` is a pool handle (`DatabaseConnection`) or, to join a unit of work, a transaction
        /// (`DatabaseTransaction`, or a `DatabaseExecutor` over one).
        #[derive(Debug, Clone)]
        $vis struct $name<C> {
            db: C,
        }

        impl<C> $name<C> {
            /// A store over `db`.
            pub const fn new(db: C) -> Self {
                Self { db }
            }

            /// The connection or transaction the store runs on.
            pub const fn connection(&self) -> &C {
                &self.db
            }
        }
    };
}

/// A table a store reads and writes, and what its rows are called in errors.
pub trait Table: EntityTrait {
    /// What one row is called in [`Error::NotFound`]: `content`, `source`, …
    const ROW: &'static str;
}

/// The primary-key value of `E` (`String` for a text key).
pub type Key<E> = <<E as EntityTrait>::PrimaryKey as PrimaryKeyTrait>::ValueType;

/// [`Error::NotFound`] for the row of `E` with `key`.
pub fn not_found<E: Table>(key: impl Display) -> Error {
    Error::NotFound {
        entity: E::ROW,
        key: key.to_string(),
    }
}

/// `primary key = key`, for any statement that takes a filter.
pub fn key_condition<E: EntityTrait>(key: impl Into<Key<E>>) -> Condition {
    use sea_orm::sea_query::{IntoValueTuple, ValueTuple};
    let values = match key.into().into_value_tuple() {
        ValueTuple::One(v) => vec![v],
        ValueTuple::Two(a, b) => vec![a, b],
        ValueTuple::Three(a, b, c) => vec![a, b, c],
        ValueTuple::Many(v) => v,
    };
    E::PrimaryKey::iter()
        .zip(values)
        .fold(Condition::all(), |cond, (pk, v)| {
            cond.add(pk.into_column().eq(v))
        })
}

/// The row of `E` with `key`.
///
/// # Errors
/// [`Error::NotFound`]; [`Error::Db`].
pub async fn get<E, C, K>(db: &C, key: K) -> Result<E::Model>
where
    E: Table,
    C: ConnectionTrait,
    K: Into<Key<E>> + Clone + Display,
{
    E::find_by_id(key.clone())
        .one(db)
        .await?
        .ok_or_else(|| not_found::<E>(key))
}

/// Run `update` on the row of `E` with `key` (this adds the key to its filter).
///
/// # Errors
/// [`Error::NotFound`] when no row has the key (or `update`'s own filter excludes it);
/// [`Error::Db`].
pub async fn update_one<E, C, K>(db: &C, key: K, update: UpdateMany<E>) -> Result<()>
where
    E: Table,
    C: ConnectionTrait,
    K: Into<Key<E>> + Clone + Display,
{
    let updated = update
        .filter(key_condition::<E>(key.clone()))
        .exec(db)
        .await?;
    if updated.rows_affected == 0 {
        return Err(not_found::<E>(key));
    }
    Ok(())
}

/// Run `update` on the row of `E` with `key` and return the row as updated, in one statement
/// (`UPDATE … RETURNING`, on both backends).
///
/// # Errors
/// [`Error::NotFound`] when no row has the key (or `update`'s own filter excludes it);
/// [`Error::Db`].
pub async fn update_one_returning<E, C, K>(
    db: &C,
    key: K,
    update: UpdateMany<E>,
) -> Result<E::Model>
where
    E: Table,
    C: ConnectionTrait,
    K: Into<Key<E>> + Clone + Display,
{
    let update = update.filter(key_condition::<E>(key.clone()));
    update_returning(db, update)
        .await?
        .ok_or_else(|| not_found::<E>(key))
}

/// Run `update` and return the first row it changed, `None` when it changed none, in one
/// statement (`UPDATE … RETURNING`). Meant for an update of one row (by key, and maybe a
/// condition), so the check and the change are atomic.
///
/// # Errors
/// [`Error::Db`].
pub async fn update_returning<E, C>(db: &C, update: UpdateMany<E>) -> Result<Option<E::Model>>
where
    E: EntityTrait,
    C: ConnectionTrait,
{
    let backend = db.get_database_backend();
    let mut query = update.into_query();
    // Each column read back as a SELECT would read it (casts included), as SeaORM does for its
    // own RETURNING; SeaORM only uses RETURNING on SQLite behind a feature, so it is built here.
    query.returning(Query::returning().exprs(
        E::Column::iter().map(|c| -> SimpleExpr { c.select_as(c.into_returning_expr(backend)) }),
    ));
    Ok(E::Model::find_by_statement(backend.build(&query))
        .one(db)
        .await?)
}

/// Delete the row of `E` with `key`.
///
/// # Errors
/// [`Error::NotFound`] when no row has the key; [`Error::Db`].
pub async fn delete_one<E, C, K>(db: &C, key: K) -> Result<()>
where
    E: Table,
    C: ConnectionTrait,
    K: Into<Key<E>> + Clone + Display,
{
    let deleted = E::delete_many()
        .filter(key_condition::<E>(key.clone()))
        .exec(db)
        .await?;
    if deleted.rows_affected == 0 {
        return Err(not_found::<E>(key));
    }
    Ok(())
}

/// Check every item of a batch with `check` before anything is written, collecting what each
/// check returns. The first failure is returned with its field prefixed by the batch's name and
/// the item's position: `docs[3].title`.
///
/// # Errors
/// The first item's [`Error::Validation`], its field prefixed; other errors as they are.
pub fn validate_batch<T, R>(
    batch: &str,
    items: impl IntoIterator<Item = T>,
    mut check: impl FnMut(T) -> Result<R>,
) -> Result<Vec<R>> {
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| check(item).map_err(|e| in_field(e, &format!("{batch}[{i}]"))))
        .collect()
}

/// `err` with its field (if it is a [`Error::Validation`]) prefixed by `prefix.`; other errors
/// as they are.
#[must_use]
pub fn in_field(err: Error, prefix: &str) -> Error {
    match err {
        Error::Validation { field, rule, value } => Error::Validation {
            field: format!("{prefix}.{field}"),
            rule,
            value,
        },
        other => other,
    }
}

/// An active model that inserts every column of `model` as it is (SeaORM's
/// `into_active_model` marks them unchanged, which an insert would skip).
pub fn insertable<M, A>(model: M) -> A
where
    M: IntoActiveModel<A>,
    A: ActiveModelTrait,
{
    model.into_active_model().reset_all()
}

/// Delete the rows of `E` matching `condition`, at most `chunk` per statement
/// (`DELETE … WHERE key IN (SELECT key … WHERE condition LIMIT chunk)`, each statement its own
/// short transaction, so a large purge never holds the write lock long), until fewer than
/// `chunk` go. Returns how many rows were deleted.
///
/// # Errors
/// [`Error::Db`] (the chunks deleted before it stay deleted).
pub async fn delete_chunked<E, C>(
    db: &C,
    key: E::Column,
    condition: Condition,
    chunk: u64,
) -> Result<u64>
where
    E: EntityTrait,
    C: ConnectionTrait,
{
    let mut deleted = 0;
    loop {
        let page = Query::select()
            .column(key)
            .from(E::default())
            .cond_where(condition.clone())
            .limit(chunk)
            .to_owned();
        let gone = E::delete_many()
            .filter(key.in_subquery(page))
            .exec(db)
            .await?
            .rows_affected;
        deleted += gone;
        if gone < chunk {
            return Ok(deleted);
        }
    }
}

#[cfg(test)]
mod tests {
    use entity::knowledge::content_metadata;
    use sea_orm::sea_query::Expr;
    use sea_orm::{DbBackend, QueryTrait};

    use super::*;

    #[test]
    fn updates_are_keyed_by_the_primary_key() {
        let update = content_metadata::Entity::update_many()
            .col_expr(content_metadata::Column::AccessCount, Expr::value(1))
            .filter(key_condition::<content_metadata::Entity>("c1"));
        assert_eq!(
            update.build(DbBackend::Postgres).to_string(),
            r#"UPDATE "content_metadata" SET "access_count" = 1 WHERE "content_metadata"."content_id" = 'c1'"#
        );
    }

    #[test]
    fn batch_errors_name_the_item() {
        let err = validate_batch("docs", [1, 2, -3], |n: i32| {
            crate::validate::non_negative("word_count", n.into())
        })
        .expect_err("third");
        assert!(
            matches!(&err, Error::Validation { field, .. } if field == "docs[2].word_count"),
            "{err}"
        );
        assert_eq!(
            not_found::<content_metadata::Entity>("c9").to_string(),
            "content not found: c9"
        );
    }
}
