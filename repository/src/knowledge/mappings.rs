//! Technology mappings (`technology_mappings`): which authoritative sources document each
//! technology, how important each is, and when each is due for a refresh; plus the reference data
//! `dal seed` loads ([`reference_mappings`]).
//!
//! # Upsert and NULLs
//!
//! The seed's unique key is `(technology, source_type, owner, repo, base_url)`, and `owner`,
//! `repo` and `base_url` are nullable. SQL `UNIQUE` treats NULLs as distinct, so the database
//! accepts two web mappings with the same `base_url` and NULL `owner`/`repo`, and
//! `INSERT … ON CONFLICT` never sees them as duplicates. [`MappingRepository::upsert`] therefore
//! runs as one transaction that looks the row up with NULL-aware equality (`IS NULL` where the
//! value is `None`), then updates it or inserts a new one (`mapping_id` a new UUID). Upserts are
//! serialised so two of them can never both insert the same key: on SQLite by the write
//! transaction itself (`BEGIN IMMEDIATE`), on PostgreSQL by a transaction-scoped advisory lock
//! ([`UPSERT_LOCK_KEY`]) taken before the lookup.
//!
//! # Due for update
//!
//! A mapping is due when it is active and either was never updated or
//! `last_updated + update_frequency_hours <= now`. Rather than date arithmetic in SQL (which
//! SQLite only does to the millisecond on text timestamps), the comparison is restructured
//! against bound values: for each distinct `update_frequency_hours` `f` among the active rows,
//! `update_frequency_hours = f AND last_updated <= now - f hours`, with `now - f hours` computed
//! in Rust. That is exact to the microsecond on both backends, including at the boundary.

use async_trait::async_trait;
use chrono::{DateTime, SubsecRound, TimeDelta, Utc};
use entity::DbDateTime;
use entity::behavior::now;
use entity::knowledge::sea_orm_active_enums::MappingSourceType;
use entity::knowledge::technology_mappings::{ActiveModel, Column, Entity, Model};
use sea_orm::sea_query::{Expr, ExprTrait, SimpleExpr};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbBackend,
    EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect, Statement,
    TransactionSession,
};
use serde::{Deserialize, Serialize};
use tracing::instrument;

use crate::error::{Error, Result};
use crate::manager::begin_write;
use crate::page::Page;
use crate::store::{self, Db, Table};
use crate::types::{HttpUrl, UuidText};
use crate::validate;

impl Table for Entity {
    const ROW: &'static str = "technology mapping";
}

/// The PostgreSQL advisory-lock key that serialises mapping upserts (ASCII `techmaps`).
pub const UPSERT_LOCK_KEY: i64 = 0x7465_6368_6d61_7073;

/// Distinct update frequencies per due-for-update query (two bound values each).
const FREQUENCIES_PER_QUERY: usize = 500;

/// A mapping to insert or update, keyed by `(technology, source_type, owner, repo, base_url)`.
///
/// [`NewMapping::github`] and [`NewMapping::web`] take the required fields and give the rest
/// the seed's column defaults (docs path `docs`, patterns `*.md` and `*.mdx`, priority 1, not
/// official, refreshed every 24 hours); the other methods set them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewMapping {
    /// Technology (`rust`, `react`, …).
    pub technology: String,
    /// GitHub or web.
    pub source_type: MappingSourceType,
    /// GitHub owner or organisation (required for `github`, absent for `web`).
    pub owner: Option<String>,
    /// GitHub repository (required for `github`, absent for `web`).
    pub repo: Option<String>,
    /// Where the documentation lives within the repository (or the site).
    pub docs_path: String,
    /// Glob patterns of the documentation files (at least one, none empty).
    pub file_patterns: Vec<String>,
    /// Base URL (required for `web`; optional for `github`, e.g. the rendered site).
    pub base_url: Option<HttpUrl>,
    /// Higher number = more important; 0 or more.
    pub priority: i32,
    /// Official documentation of the technology.
    pub is_official: bool,
    /// Hours between refreshes; 1 or more.
    pub update_frequency_hours: i32,
}

/// The seed's default `docs_path`.
pub const DEFAULT_DOCS_PATH: &str = "docs";

/// The seed's default `file_patterns`.
pub const DEFAULT_FILE_PATTERNS: &[&str] = &["*.md", "*.mdx"];

impl NewMapping {
    /// A mapping with the seed's defaults for everything but its key.
    fn with_key(
        technology: impl Into<String>,
        source_type: MappingSourceType,
        owner: Option<String>,
        repo: Option<String>,
        base_url: Option<HttpUrl>,
    ) -> Self {
        Self {
            technology: technology.into(),
            source_type,
            owner,
            repo,
            docs_path: DEFAULT_DOCS_PATH.to_owned(),
            file_patterns: DEFAULT_FILE_PATTERNS
                .iter()
                .map(|p| (*p).to_owned())
                .collect(),
            base_url,
            priority: 1,
            is_official: false,
            update_frequency_hours: 24,
        }
    }

    /// The documentation in the GitHub repository `owner/repo`, with the seed's defaults.
    #[must_use]
    pub fn github(
        technology: impl Into<String>,
        owner: impl Into<String>,
        repo: impl Into<String>,
    ) -> Self {
        Self::with_key(
            technology,
            MappingSourceType::Github,
            Some(owner.into()),
            Some(repo.into()),
            None,
        )
    }

    /// The documentation on the web site at `base_url`, with the seed's defaults.
    #[must_use]
    pub fn web(technology: impl Into<String>, base_url: HttpUrl) -> Self {
        Self::with_key(
            technology,
            MappingSourceType::Web,
            None,
            None,
            Some(base_url),
        )
    }

    /// With the documentation under `docs_path`, in files matching `file_patterns`.
    #[must_use]
    pub fn docs(mut self, docs_path: impl Into<String>, file_patterns: &[&str]) -> Self {
        self.docs_path = docs_path.into();
        self.file_patterns = file_patterns.iter().map(|p| (*p).to_owned()).collect();
        self
    }

    /// With a base URL (for a GitHub mapping: e.g. the rendered site). Part of the key.
    #[must_use]
    pub fn base_url(mut self, base_url: HttpUrl) -> Self {
        self.base_url = Some(base_url);
        self
    }

    /// With this priority.
    #[must_use]
    pub const fn priority(mut self, priority: i32) -> Self {
        self.priority = priority;
        self
    }

    /// Marked as official documentation.
    #[must_use]
    pub const fn official(mut self) -> Self {
        self.is_official = true;
        self
    }

    /// Refreshed every `hours` hours.
    #[must_use]
    pub const fn every_hours(mut self, hours: i32) -> Self {
        self.update_frequency_hours = hours;
        self
    }

    /// Check every field against the seed's rules.
    ///
    /// # Errors
    /// [`Error::Validation`] naming the first field at fault.
    pub fn validate(&self) -> Result<()> {
        validate::text("technology", &self.technology, 100)?;
        match self.source_type {
            MappingSourceType::Github => {
                let owner = required("owner", self.owner.as_deref())?;
                github_name("owner", owner, 39, false)?;
                let repo = required("repo", self.repo.as_deref())?;
                github_name("repo", repo, 100, true)?;
            }
            MappingSourceType::Web => {
                absent("owner", self.owner.as_deref())?;
                absent("repo", self.repo.as_deref())?;
                if self.base_url.is_none() {
                    return Err(Error::validation(
                        "base_url",
                        "is required for web sources",
                        "none",
                    ));
                }
            }
        }
        validate::text("docs_path", &self.docs_path, 1000)?;
        if self.file_patterns.is_empty() {
            return Err(Error::validation(
                "file_patterns",
                "must be a JSON array of at least one pattern",
                "[]",
            ));
        }
        for pattern in &self.file_patterns {
            validate::text("file_patterns", pattern, validate::MAX_KEY_LEN)?;
        }
        validate::range_i64("priority", self.priority.into(), 0, i32::MAX.into())?;
        validate::range_i64(
            "update_frequency_hours",
            self.update_frequency_hours.into(),
            1,
            i32::MAX.into(),
        )
    }

    fn patterns_json(&self) -> serde_json::Value {
        serde_json::Value::from(self.file_patterns.clone())
    }

    /// Whether `row` already holds every non-key value of this mapping.
    fn matches(&self, row: &Model) -> bool {
        row.docs_path == self.docs_path
            && row.file_patterns == self.patterns_json()
            && row.priority == self.priority
            && row.is_official == self.is_official
            && row.update_frequency_hours == self.update_frequency_hours
    }
}

fn required<'a>(field: &str, value: Option<&'a str>) -> Result<&'a str> {
    value.ok_or_else(|| Error::validation(field, "is required for github sources", "none"))
}

fn absent(field: &str, value: Option<&str>) -> Result<()> {
    match value {
        None => Ok(()),
        Some(v) => Err(Error::validation(
            field,
            "must be empty for web sources",
            format!("{v:?}"),
        )),
    }
}

/// A GitHub owner (letters, digits, `-`) or repository name (also `_` and `.`).
fn github_name(field: &str, value: &str, max: usize, repo: bool) -> Result<()> {
    validate::text(field, value, max)?;
    let ok = value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || (repo && (c == '_' || c == '.')));
    if ok && value != "." && value != ".." {
        Ok(())
    } else {
        let allowed = if repo {
            "letters, digits, '-', '_' and '.'"
        } else {
            "letters, digits and '-'"
        };
        Err(Error::validation(
            field,
            format!("must be a GitHub name of {allowed}"),
            format!("{value:?}"),
        ))
    }
}

/// What an upsert did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum UpsertOutcome {
    /// No row had the key: one was inserted.
    Inserted,
    /// The row with the key had other values: they were replaced.
    Updated,
    /// The row with the key already held these values: nothing was written.
    Unchanged,
}

/// What [`MappingRepository::seed`] did, mapping by mapping.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeedReport {
    /// Mappings inserted.
    pub inserted: u64,
    /// Mappings whose values were replaced.
    pub updated: u64,
    /// Mappings already up to date.
    pub unchanged: u64,
}

/// Technologies mapped to their authoritative sources.
#[cfg_attr(any(test, feature = "mock"), mockall::automock)]
#[async_trait]
pub trait MappingRepository: Send + Sync {
    /// Insert the mapping, or update the one with the same key
    /// `(technology, source_type, owner, repo, base_url)` (NULL-aware, see the
    /// [module documentation](self)), in one transaction. An existing row keeps its id, its active
    /// flag and `last_updated`; when it already holds these values nothing is written (not even
    /// `updated_at`).
    ///
    /// # Errors
    /// [`Error::Validation`] for bad input.
    async fn upsert(&self, new: NewMapping) -> Result<(Model, UpsertOutcome)>;

    /// Upsert every mapping in one transaction (all or nothing). Idempotent: running it again
    /// with the same mappings reports them all unchanged and writes nothing.
    ///
    /// # Errors
    /// [`Error::Validation`] naming the first bad mapping (`mappings[i].field`); nothing is
    /// written.
    async fn seed(&self, mappings: &[NewMapping]) -> Result<SeedReport>;

    /// The mapping with this id.
    ///
    /// # Errors
    /// [`Error::NotFound`].
    async fn get(&self, mapping_id: &str) -> Result<Model>;

    /// Active mappings of a technology: official first, then by priority (higher first), then by
    /// `mapping_id`.
    ///
    /// # Errors
    /// [`Error::Validation`] for an empty or over-long technology.
    async fn active_for(&self, technology: &str) -> Result<Vec<Model>>;

    /// Up to `limit` active mappings due for a refresh at `now` (never updated, or
    /// `last_updated + update_frequency_hours <= now`): never-updated first, then the least
    /// recently updated, then by priority (higher first) and `mapping_id`. `now` is truncated to
    /// microseconds, the precision both backends store.
    ///
    /// # Errors
    /// [`Error::Validation`] for a limit of 0 or above [`crate::page::MAX_PAGE_SIZE`].
    async fn due_for_update(&self, now: DateTime<Utc>, limit: u64) -> Result<Vec<Model>>;

    /// Record that the mapping's sources were fetched at `at` (truncated to microseconds).
    ///
    /// # Errors
    /// [`Error::NotFound`].
    async fn mark_updated(&self, mapping_id: &str, at: DateTime<Utc>) -> Result<()>;

    /// Stop using the mapping (it no longer appears in `active_for` nor `due_for_update`).
    ///
    /// # Errors
    /// [`Error::NotFound`].
    async fn deactivate(&self, mapping_id: &str) -> Result<()>;

    /// Use the mapping again.
    ///
    /// # Errors
    /// [`Error::NotFound`].
    async fn activate(&self, mapping_id: &str) -> Result<()>;

    /// One page of every mapping, active or not, by technology, then official first, then
    /// priority (higher first), then `mapping_id`.
    ///
    /// # Errors
    /// [`Error::Validation`] for a bad page.
    async fn list(&self, page: Page) -> Result<Vec<Model>>;
}

crate::store! {
    /// [`MappingRepository`] on SeaORM.
    pub struct MappingStore;
}

/// `column = value`, or `column IS NULL` for `None`.
fn null_aware_eq(column: Column, value: Option<&str>) -> SimpleExpr {
    match value {
        Some(v) => column.eq(v),
        None => column.is_null(),
    }
}

fn key_condition(new: &NewMapping) -> Condition {
    Condition::all()
        .add(Column::Technology.eq(new.technology.as_str()))
        .add(Column::SourceType.eq(new.source_type))
        .add(null_aware_eq(Column::Owner, new.owner.as_deref()))
        .add(null_aware_eq(Column::Repo, new.repo.as_deref()))
        .add(null_aware_eq(
            Column::BaseUrl,
            new.base_url.as_ref().map(HttpUrl::as_str),
        ))
}

/// Take the upsert lock (PostgreSQL; a no-op elsewhere), held until the transaction ends.
async fn lock_upserts<T: ConnectionTrait>(txn: &T) -> Result<()> {
    if txn.get_database_backend() == DbBackend::Postgres {
        txn.execute_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_advisory_xact_lock($1)",
            [UPSERT_LOCK_KEY.into()],
        ))
        .await?;
    }
    Ok(())
}

/// The upsert proper, inside a transaction that holds the upsert lock. `new` is validated.
async fn upsert_in<T: ConnectionTrait>(
    txn: &T,
    new: &NewMapping,
) -> Result<(Model, UpsertOutcome)> {
    let existing = Entity::find()
        .filter(key_condition(new))
        .order_by_asc(Column::CreatedAt)
        .order_by_asc(Column::MappingId)
        .one(txn)
        .await?;
    match existing {
        Some(row) if new.matches(&row) => Ok((row, UpsertOutcome::Unchanged)),
        Some(row) => {
            let mut am = row.into_active_model();
            am.docs_path = Set(new.docs_path.clone());
            am.file_patterns = Set(new.patterns_json().into());
            am.priority = Set(new.priority);
            am.is_official = Set(new.is_official);
            am.update_frequency_hours = Set(new.update_frequency_hours);
            am.updated_at = Set(now());
            Ok((am.update(txn).await?, UpsertOutcome::Updated))
        }
        None => {
            let at = now();
            let row = ActiveModel {
                mapping_id: Set(UuidText::new_v4().to_string()),
                technology: Set(new.technology.clone()),
                source_type: Set(new.source_type),
                owner: Set(new.owner.clone()),
                repo: Set(new.repo.clone()),
                docs_path: Set(new.docs_path.clone()),
                file_patterns: Set(new.patterns_json().into()),
                base_url: Set(new.base_url.as_ref().map(ToString::to_string)),
                priority: Set(new.priority),
                is_official: Set(new.is_official),
                last_updated: Set(None),
                update_frequency_hours: Set(new.update_frequency_hours),
                is_active: Set(true),
                created_at: Set(at),
                updated_at: Set(at),
            };
            Ok((row.insert(txn).await?, UpsertOutcome::Inserted))
        }
    }
}

impl<C: Db> MappingStore<C> {
    async fn set_active(&self, mapping_id: &str, active: bool) -> Result<()> {
        let update = Entity::update_many()
            .col_expr(Column::IsActive, Expr::value(active))
            .col_expr(Column::UpdatedAt, Expr::value(now()));
        store::update_one(&self.db, mapping_id, update).await
    }

    /// One query of `due_for_update`: never-updated rows (when `with_never_updated`) or rows
    /// whose frequency is in `frequencies` and whose `last_updated` is at or before
    /// `now - frequency`.
    async fn due_query(
        &self,
        now: DateTime<Utc>,
        frequencies: &[i32],
        with_never_updated: bool,
        limit: u64,
    ) -> Result<Vec<Model>> {
        let mut overdue = Condition::any();
        if with_never_updated {
            overdue = overdue.add(Column::LastUpdated.is_null());
        }
        for &hours in frequencies {
            // A frequency so long that `now - hours` is before the calendar's start is never due.
            let Some(threshold) =
                TimeDelta::try_hours(i64::from(hours)).and_then(|d| now.checked_sub_signed(d))
            else {
                continue;
            };
            overdue = overdue.add(
                Condition::all()
                    .add(Column::UpdateFrequencyHours.eq(hours))
                    .add(Column::LastUpdated.lte(DbDateTime::from(threshold))),
            );
        }
        if overdue.is_empty() {
            return Ok(Vec::new());
        }
        Ok(Entity::find()
            .filter(Column::IsActive.eq(true))
            .filter(overdue)
            .order_by_asc(Expr::col(Column::LastUpdated).is_not_null())
            .order_by_asc(Column::LastUpdated)
            .order_by_desc(Column::Priority)
            .order_by_asc(Column::MappingId)
            .limit(limit)
            .all(&self.db)
            .await?)
    }
}

#[async_trait]
impl<C: Db> MappingRepository for MappingStore<C> {
    #[instrument(skip_all, fields(db.table = "technology_mappings", mapping.outcome))]
    async fn upsert(&self, new: NewMapping) -> Result<(Model, UpsertOutcome)> {
        new.validate()?;
        let txn = begin_write(&self.db).await?;
        lock_upserts(&txn).await?;
        let (model, outcome) = upsert_in(&txn, &new).await?;
        txn.commit().await?;
        tracing::Span::current().record("mapping.outcome", tracing::field::debug(outcome));
        Ok((model, outcome))
    }

    #[instrument(skip_all, fields(db.table = "technology_mappings", db.rows = mappings.len(), mapping.inserted, mapping.updated))]
    async fn seed(&self, mappings: &[NewMapping]) -> Result<SeedReport> {
        store::validate_batch("mappings", mappings, NewMapping::validate)?;
        let mut report = SeedReport::default();
        if mappings.is_empty() {
            return Ok(report);
        }
        let txn = begin_write(&self.db).await?;
        lock_upserts(&txn).await?;
        for new in mappings {
            match upsert_in(&txn, new).await?.1 {
                UpsertOutcome::Inserted => report.inserted += 1,
                UpsertOutcome::Updated => report.updated += 1,
                UpsertOutcome::Unchanged => report.unchanged += 1,
            }
        }
        txn.commit().await?;
        let span = tracing::Span::current();
        span.record("mapping.inserted", report.inserted);
        span.record("mapping.updated", report.updated);
        Ok(report)
    }

    #[instrument(skip_all, fields(db.table = "technology_mappings"))]
    async fn get(&self, mapping_id: &str) -> Result<Model> {
        store::get::<Entity, _, _>(&self.db, mapping_id).await
    }

    #[instrument(skip_all, fields(db.table = "technology_mappings"))]
    async fn active_for(&self, technology: &str) -> Result<Vec<Model>> {
        validate::text("technology", technology, 100)?;
        Ok(Entity::find()
            .filter(Column::IsActive.eq(true))
            .filter(Column::Technology.eq(technology))
            .order_by_desc(Column::IsOfficial)
            .order_by_desc(Column::Priority)
            .order_by_asc(Column::MappingId)
            .all(&self.db)
            .await?)
    }

    #[instrument(skip_all, fields(db.table = "technology_mappings", db.limit = limit))]
    async fn due_for_update(&self, now: DateTime<Utc>, limit: u64) -> Result<Vec<Model>> {
        let limit = Page::first(limit).validate()?.limit;
        let now = now.trunc_subsecs(6);
        let frequencies: Vec<i32> = Entity::find()
            .select_only()
            .column(Column::UpdateFrequencyHours)
            .distinct()
            .filter(Column::IsActive.eq(true))
            .filter(Column::LastUpdated.is_not_null())
            .order_by_asc(Column::UpdateFrequencyHours)
            .into_tuple()
            .all(&self.db)
            .await?;
        if frequencies.len() <= FREQUENCIES_PER_QUERY {
            return self.due_query(now, &frequencies, true, limit).await;
        }
        // Very many distinct frequencies: several queries under the bind-parameter limits, each
        // returning its own first `limit` rows, merged in the same order.
        let mut rows = self.due_query(now, &[], true, limit).await?;
        for chunk in frequencies.chunks(FREQUENCIES_PER_QUERY) {
            rows.extend(self.due_query(now, chunk, false, limit).await?);
        }
        rows.sort_by(|a, b| {
            (a.last_updated, std::cmp::Reverse(a.priority), &a.mapping_id).cmp(&(
                b.last_updated,
                std::cmp::Reverse(b.priority),
                &b.mapping_id,
            ))
        });
        rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
        Ok(rows)
    }

    #[instrument(skip_all, fields(db.table = "technology_mappings"))]
    async fn mark_updated(&self, mapping_id: &str, at: DateTime<Utc>) -> Result<()> {
        let update = Entity::update_many()
            .col_expr(
                Column::LastUpdated,
                Expr::value(Some(DbDateTime::from(at.trunc_subsecs(6)))),
            )
            .col_expr(Column::UpdatedAt, Expr::value(now()));
        store::update_one(&self.db, mapping_id, update).await
    }

    #[instrument(skip_all, fields(db.table = "technology_mappings"))]
    async fn deactivate(&self, mapping_id: &str) -> Result<()> {
        self.set_active(mapping_id, false).await
    }

    #[instrument(skip_all, fields(db.table = "technology_mappings"))]
    async fn activate(&self, mapping_id: &str) -> Result<()> {
        self.set_active(mapping_id, true).await
    }

    #[instrument(skip_all, fields(db.table = "technology_mappings", db.limit = page.limit, db.offset = page.offset))]
    async fn list(&self, page: Page) -> Result<Vec<Model>> {
        let page = page.validate()?;
        Ok(Entity::find()
            .order_by_asc(Column::Technology)
            .order_by_desc(Column::IsOfficial)
            .order_by_desc(Column::Priority)
            .order_by_asc(Column::MappingId)
            .limit(page.limit)
            .offset(page.offset)
            .all(&self.db.reader())
            .await?)
    }
}

/// One reference mapping: where a technology's documentation lives.
enum Docs {
    /// In a GitHub repository: `(owner, repo, docs path, file patterns)`.
    GitHub(
        &'static str,
        &'static str,
        &'static str,
        &'static [&'static str],
    ),
    /// On a web site (HTML pages from its root).
    Web(&'static str),
}

const MD: &[&str] = &["*.md"];
const MD_MDX: &[&str] = &["*.md", "*.mdx"];
const RST: &[&str] = &["*.rst"];

/// `(technology, where, priority, refresh hours)`: see [`reference_mappings`].
#[rustfmt::skip]
const REFERENCE: &[(&str, Docs, i32, i32)] = &[
    // Python: the CPython docs (reStructuredText) and docs.python.org.
    ("python", Docs::GitHub("python", "cpython", "Doc", RST), 10, 24),
    ("python", Docs::Web("https://docs.python.org/3/"), 5, 24),
    // Rust: the Book, the Reference, and the standard library's rendered docs.
    ("rust", Docs::GitHub("rust-lang", "book", "src", MD), 10, 24),
    ("rust", Docs::GitHub("rust-lang", "reference", "src", MD), 8, 24),
    ("rust", Docs::Web("https://doc.rust-lang.org/std/"), 5, 24),
    ("react", Docs::GitHub("reactjs", "react.dev", "src/content", MD), 10, 24),
    ("fastapi", Docs::GitHub("fastapi", "fastapi", "docs/en/docs", MD), 10, 24),
    // Django writes its reStructuredText docs with a .txt extension.
    ("django", Docs::GitHub("django", "django", "docs", &["*.txt"]), 10, 24),
    ("flask", Docs::GitHub("pallets", "flask", "docs", RST), 10, 24),
    // PostgreSQL: the manual's web edition first (the repository holds DocBook SGML).
    ("postgres", Docs::Web("https://www.postgresql.org/docs/current/"), 10, 24),
    ("postgres", Docs::GitHub("postgres", "postgres", "doc/src/sgml", &["*.sgml"]), 5, 168),
    ("redis", Docs::GitHub("redis", "docs", "content", MD), 10, 24),
    ("docker", Docs::GitHub("docker", "docs", "content", MD), 10, 24),
    ("kubernetes", Docs::GitHub("kubernetes", "website", "content/en/docs", MD), 10, 24),
    // Go: go.dev/doc is written in golang/website; the package docs live on pkg.go.dev.
    ("go", Docs::GitHub("golang", "website", "_content/doc", &["*.md", "*.html"]), 10, 24),
    ("go", Docs::Web("https://pkg.go.dev/std"), 5, 24),
    ("typescript", Docs::GitHub("microsoft", "TypeScript-Website", "packages/documentation/copy/en", MD), 10, 24),
    ("javascript", Docs::GitHub("mdn", "content", "files/en-us/web/javascript", MD), 10, 24),
    ("nodejs", Docs::GitHub("nodejs", "node", "doc/api", MD), 10, 24),
    ("vue", Docs::GitHub("vuejs", "docs", "src", MD), 10, 24),
    ("nextjs", Docs::GitHub("vercel", "next.js", "docs", MD_MDX), 10, 24),
    // SQLite's documentation is kept in its own Fossil repository, not on GitHub.
    ("sqlite", Docs::Web("https://www.sqlite.org/docs.html"), 10, 168),
];

/// The technologies the layer's own data is made of, in one place: the reference data has an
/// official source for each ([`reference_mappings`], checked by its test), `dal bench` cycles its
/// rows through them in this order (the workload of `BENCHMARK.md`), and the tests use them.
pub const TECHNOLOGIES: [&str; 12] = [
    "python",
    "rust",
    "react",
    "fastapi",
    "django",
    "postgres",
    "redis",
    "docker",
    "kubernetes",
    "go",
    "typescript",
    "sqlite",
];

/// The reference mappings `dal seed` loads: the official documentation of common technologies,
/// from the GitHub repository the docs are written in where there is one (with the path and the
/// file types they use), else from the web site (HTML pages from `/`). Official sources have
/// priority 10; secondary official sources (a rendered site beside its repository, a second
/// book) lower.
///
/// # Panics
/// Never: every reference URL is a valid [`HttpUrl`] (a unit test parses them all).
#[must_use]
pub fn reference_mappings() -> Vec<NewMapping> {
    REFERENCE
        .iter()
        .map(|(technology, docs, priority, hours)| {
            let mapping = match docs {
                Docs::GitHub(owner, repo, path, patterns) => {
                    NewMapping::github(*technology, *owner, *repo).docs(*path, patterns)
                }
                Docs::Web(url) => {
                    let url = HttpUrl::parse_field("base_url", *url)
                        .expect("the reference URLs are valid");
                    NewMapping::web(*technology, url).docs("/", &["*.html"])
                }
            };
            mapping.official().priority(*priority).every_hours(*hours)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_mappings_are_valid_and_unique() {
        for (technology, docs, ..) in REFERENCE {
            if let Docs::Web(url) = docs {
                assert!(url.parse::<HttpUrl>().is_ok(), "{technology}: {url}");
            }
        }
        let all = reference_mappings();
        for m in &all {
            m.validate()
                .unwrap_or_else(|e| panic!("{} {:?}: {e}", m.technology, m.repo));
        }
        let keys: std::collections::HashSet<_> = all
            .iter()
            .map(|m| (&m.technology, m.source_type, &m.owner, &m.repo, &m.base_url))
            .collect();
        assert_eq!(keys.len(), all.len(), "no duplicate keys");
        for tech in TECHNOLOGIES {
            assert!(
                all.iter().any(|m| m.technology == tech && m.is_official),
                "{tech}"
            );
        }
    }

    #[test]
    fn github_names() {
        assert!(github_name("owner", "rust-lang", 39, false).is_ok());
        assert!(github_name("owner", "rust_lang", 39, false).is_err());
        assert!(github_name("repo", "next.js", 100, true).is_ok());
        assert!(github_name("repo", "..", 100, true).is_err());
        assert!(github_name("repo", "a/b", 100, true).is_err());
    }
}
