//! The chat tables' statistics (`dal status`, seed 001's `get_database_stats`).

use repository::chat::{
    CHAT_TABLES, ConversationRepository, ConversationStore, NewConversation, chat_table_stats,
};
use repository::{DbBackend, UuidText};
use tests::{TestDb, db_tests};

async fn rows_and_planner_statistics(db: &TestDb) {
    let repo = ConversationStore::new(db.conn.clone());
    for i in 0..3 {
        repo.record(NewConversation::new(
            UuidText::new_v4(),
            format!("q{i}"),
            "a",
        ))
        .await
        .expect("record");
    }
    if db.db_backend() == DbBackend::Postgres {
        db.raw("ANALYZE conversation").await.expect("analyze");
    }
    let stats = chat_table_stats(&db.conn).await.expect("stats");
    let tables: Vec<_> = stats.iter().map(|t| t.table.as_str()).collect();
    assert_eq!(tables, CHAT_TABLES);
    assert_eq!(stats[0].rows, 3);
    assert_eq!(stats[1].rows, 0);
    match db.db_backend() {
        DbBackend::Postgres => {
            let planner = stats[0].planner.as_ref().expect("pg_stat_user_tables row");
            assert!(planner.n_live_tup >= 0 && planner.n_dead_tup >= 0);
            assert!(planner.idx_scan.is_some(), "the table has indexes");
            let columns: Vec<_> = planner.columns.iter().map(|c| c.column.as_str()).collect();
            assert!(columns.contains(&"session_id"), "{columns:?}");
            assert!(stats[2].planner.is_some());
        }
        _ => assert!(stats.iter().all(|t| t.planner.is_none())),
    }
}

db_tests!(rows_and_planner_statistics);
