//! Seed 001 stored a conversation's sources pipe-separated (`a | b`); the chat repository stores
//! them as a JSON array (`["a","b"]`). This data migration converts every pipe-separated row, as
//! the seed's own migration does; `down` converts JSON arrays back to the pipe-separated text.
//!
//! - A NULL stays NULL; a row already holding a JSON array (text starting with `[`) is left as
//!   it is by `up`; an empty or blank text becomes `[]` (no sources).
//! - `down` writes the array's strings joined by `" | "` (`[]` becomes the empty text); a row
//!   whose text is not a JSON array of strings is left as it is.
//!
//! The rows are read and rewritten one by one with bound values (the conversion is done in Rust,
//! identically on both backends), inside the migration's transaction.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, FromQueryResult, JsonValue};

use crate::common::{forget_version, record_version};

/// Converts `conversation.sources` from pipe-separated text to JSON arrays.
#[derive(DeriveMigrationName)]
pub struct Migration;

const DESCRIPTION: &str = "convert conversation.sources from pipe-separated text to JSON arrays";

#[derive(FromQueryResult)]
struct Row {
    id: String,
    sources: String,
}

/// The JSON array text for pipe-separated `text` (`a | b` → `["a","b"]`), empty parts dropped.
#[must_use]
pub fn pipe_to_json(text: &str) -> String {
    JsonValue::Array(
        text.split('|')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| JsonValue::String(s.to_owned()))
            .collect(),
    )
    .to_string()
}

/// The pipe-separated text for a JSON array of strings, `None` when `text` is not one.
#[must_use]
pub fn json_to_pipe(text: &str) -> Option<String> {
    let JsonValue::Array(items) = text.parse::<JsonValue>().ok()? else {
        return None;
    };
    let parts: Option<Vec<&str>> = items.iter().map(JsonValue::as_str).collect();
    Some(parts?.join(" | "))
}

async fn rows(manager: &SchemaManager<'_>, json: bool) -> Result<Vec<Row>, DbErr> {
    let db = manager.get_connection();
    let like = Expr::col("sources").like("[%");
    let query = Query::select()
        .columns(["id", "sources"])
        .from("conversation")
        .and_where(Expr::col("sources").is_not_null())
        .and_where(if json { like } else { like.not() })
        .order_by("id", Order::Asc)
        .take();
    Row::find_by_statement(db.get_database_backend().build(&query))
        .all(db)
        .await
}

async fn rewrite(manager: &SchemaManager<'_>, id: String, sources: String) -> Result<(), DbErr> {
    let stmt = Query::update()
        .table("conversation")
        .value("sources", sources)
        .and_where(Expr::col("id").eq(id))
        .take();
    manager.exec_stmt(stmt).await
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for row in rows(manager, false).await? {
            rewrite(manager, row.id, pipe_to_json(&row.sources)).await?;
        }
        record_version(manager, self.name(), DESCRIPTION).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        forget_version(manager, self.name()).await?;
        for row in rows(manager, true).await? {
            if let Some(pipe) = json_to_pipe(&row.sources) {
                rewrite(manager, row.id, pipe).await?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_both_ways() {
        assert_eq!(
            pipe_to_json("https://a.org/x | https://b.org/y"),
            r#"["https://a.org/x","https://b.org/y"]"#
        );
        assert_eq!(pipe_to_json("https://a.org/x"), r#"["https://a.org/x"]"#);
        assert_eq!(pipe_to_json("  "), "[]");
        assert_eq!(
            json_to_pipe(r#"["https://a.org/x","https://b.org/y"]"#).as_deref(),
            Some("https://a.org/x | https://b.org/y")
        );
        assert_eq!(json_to_pipe("[]").as_deref(), Some(""));
        assert_eq!(json_to_pipe("[1]"), None);
        assert_eq!(json_to_pipe("[oops"), None);
    }
}
