//! Repositories of the docsync system (seed 002, Documentation-Based Programming): document
//! references and their dependency graph (with its transitive closure in one recursive query),
//! change detection over `file_metadata` and the tree scan behind `dal docsync scan`, and the
//! review lifecycle: inconsistencies, recommendations, developer decisions and the 7-day purge.
//!
//! Everything the repositories take or return is named here: the repositories, their inputs and
//! reports, the rows they return (aliases of the `entity` models) and the value sets of the
//! schema.
//!
//! | status | moves allowed |
//! |---|---|
//! | inconsistency | `Pending` → `InRecommendation` (a recommendation covers it) → `Resolved`; the purge returns `InRecommendation` → `Pending` |
//! | recommendation | `Active` → `Accepted` / `Rejected` / `Amended` (a decision) or `Invalidated` |
//!
//! A refused move is [`crate::Error::Transition`], decided by one conditional `UPDATE`, so two
//! racing moves cannot both succeed.

pub mod changes;
pub mod decisions;
pub mod graph;
pub mod inconsistencies;
pub mod purge;
pub mod recommendations;
pub mod references;
pub mod scan;

pub use entity::docsync::sea_orm_active_enums::{
    Decision, DocumentType, InconsistencyStatus, InconsistencyType, RecommendationStatus, Severity,
};

/// A row of `document_references`.
pub type Document = entity::docsync::document_references::Model;
/// A row of `document_dependencies`.
pub type Dependency = entity::docsync::document_dependencies::Model;
/// A row of `file_metadata`.
pub type FileMetadata = entity::docsync::file_metadata::Model;
/// A row of `inconsistency_records`.
pub type Inconsistency = entity::docsync::inconsistency_records::Model;
/// A row of `recommendations`.
pub type Recommendation = entity::docsync::recommendations::Model;
/// A row of `developer_decisions`.
pub type DeveloperDecision = entity::docsync::developer_decisions::Model;

#[cfg(any(test, feature = "mock"))]
pub use changes::MockFileMetadataRepository;
pub use changes::{
    FileCheck, FileMetadataRepository, FileMetadataStore, FileRecord, KnownFile, MD5_BUFFER,
    ScanBatch, ScanWrite, calculate_md5, stored_precision,
};
#[cfg(any(test, feature = "mock"))]
pub use decisions::MockDecisionRepository;
pub use decisions::{DecisionRepository, DecisionStore, NewDecision, status_after};
#[cfg(any(test, feature = "mock"))]
pub use graph::MockDependencyRepository;
pub use graph::{
    ClosureNode, DependencyRepository, DependencyStore, Direction, MAX_CLOSURE_DEPTH, NewDependency,
};
#[cfg(any(test, feature = "mock"))]
pub use inconsistencies::MockInconsistencyRepository;
pub use inconsistencies::{
    InconsistencyFilter, InconsistencyRepository, InconsistencyStore, NewInconsistency,
    inconsistency_move_allowed,
};
pub use purge::PurgeReport;
#[cfg(any(test, feature = "mock"))]
pub use recommendations::MockRecommendationRepository;
pub use recommendations::{
    NewRecommendation, RecommendationRepository, RecommendationStore, recommendation_move_allowed,
};
#[cfg(any(test, feature = "mock"))]
pub use references::MockDocumentRepository;
pub use references::{DocumentRepository, DocumentStore, NewDocument};
pub use scan::{NoProgress, SCAN_BATCH, ScanFailure, ScanProgress, ScanReport, scan_tree};

/// Days recommendations and decisions are kept by default (seed 002's "7-day purge").
pub const DEFAULT_PURGE_DAYS: u32 = 7;

/// Insert `row` into `E`, or update the row with the same `path` as `on_conflict` says, in one
/// write transaction, and read the stored row back (its id, and any column the upsert kept).
pub(crate) async fn upsert_by_path<E, A, C>(
    db: &C,
    row: A,
    on_conflict: sea_orm::sea_query::OnConflict,
    path_column: E::Column,
    path: &str,
) -> crate::Result<E::Model>
where
    E: crate::store::Table,
    A: sea_orm::ActiveModelTrait<Entity = E> + Send,
    C: crate::store::Db,
    C::Transaction: Send,
{
    use sea_orm::{ColumnTrait as _, QueryFilter as _, TransactionSession as _};

    let txn = crate::begin_write(db).await?;
    E::insert(row)
        .on_conflict(on_conflict)
        .exec_without_returning(&txn)
        .await?;
    let stored = E::find()
        .filter(path_column.eq(path))
        .one(&txn)
        .await?
        .ok_or_else(|| crate::store::not_found::<E>(path))?;
    txn.commit().await?;
    Ok(stored)
}
