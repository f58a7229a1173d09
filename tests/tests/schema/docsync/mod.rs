//! Seed 002 (docsync, Documentation-Based Programming): the schema designed from the seed's
//! SQLAlchemy models (every table, field, key and `index=True` index named the SQLAlchemy way),
//! the database itself refusing rows that break its CHECKs, UNIQUEs, NOT NULLs and foreign keys,
//! every ON DELETE behaviour, and the entities (relations included) on both backends.

mod checks;
mod deletes;
mod entities;
mod rows;
mod spec;
