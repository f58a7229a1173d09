//! Seed 004 (platform, `packages/db` of an AI-first software engineering platform): the schema
//! has every field and index the seed names (with the types the seed asks for: UUID keys, JSONB,
//! GIN on PostgreSQL), the database itself refuses rows that break the CHECKs, UNIQUEs and
//! foreign keys, every ON DELETE does what the design says, `audit_logs` is append-only on both
//! backends, and the entities round-trip on both backends.

mod audit;
mod checks;
mod deletes;
mod entities;
mod rows;
mod spec;
