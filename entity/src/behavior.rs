//! Hand-written behaviour shared by the entities: timestamps.
//!
//! Lives beside the generated-style entity files so that regenerating them never loses it. Each
//! system's `behavior.rs` lists its tables in one [`timestamped!`](crate::timestamped) call.

use sea_orm::ActiveValue;

use crate::DbDateTime;

/// The current time at the precision every backend stores (microseconds), so that a value
/// written and read back compares equal on SQLite and PostgreSQL alike.
#[must_use]
pub fn now() -> DbDateTime {
    DbDateTime::now()
}

/// A timestamp column of an active model, `NOT NULL` or nullable.
pub trait Stamp {
    /// On insert, fill the column with `at` when the caller left it unset (an explicit
    /// `Set(None)` on a nullable column stays NULL).
    fn stamp_on_insert(&mut self, at: DbDateTime, insert: bool);
    /// On every save, move the column to `at` unless the caller set it.
    fn stamp_on_save(&mut self, at: DbDateTime);
}

impl Stamp for ActiveValue<DbDateTime> {
    fn stamp_on_insert(&mut self, at: DbDateTime, insert: bool) {
        if insert && self.is_not_set() {
            *self = ActiveValue::Set(at);
        }
    }

    fn stamp_on_save(&mut self, at: DbDateTime) {
        if !matches!(self, ActiveValue::Set(_)) {
            *self = ActiveValue::Set(at);
        }
    }
}

impl Stamp for ActiveValue<Option<DbDateTime>> {
    fn stamp_on_insert(&mut self, at: DbDateTime, insert: bool) {
        if insert && self.is_not_set() {
            *self = ActiveValue::Set(Some(at));
        }
    }

    fn stamp_on_save(&mut self, at: DbDateTime) {
        if !matches!(self, ActiveValue::Set(_)) {
            *self = ActiveValue::Set(Some(at));
        }
    }
}

/// Implement [`sea_orm::ActiveModelBehavior`] for entities whose only behaviour is timestamps.
///
/// Each entry names the active model, the columns stamped once on insert (left unset by the
/// caller), and optionally the columns moved to "now" on every save (unless the caller set
/// them). Columns may be `NOT NULL` or nullable; every column of one save gets the same instant.
///
/// ```ignore
/// crate::timestamped! {
///     content_metadata::ActiveModel { insert: [created_at], save: [updated_at] }
///     feedback_events::ActiveModel { insert: [created_at] }
/// }
/// ```
#[macro_export]
macro_rules! timestamped {
    ($($am:path { insert: [$($i:ident),* $(,)?] $(, save: [$($s:ident),* $(,)?])? $(,)? })*) => {
        $(
            #[::sea_orm::prelude::async_trait::async_trait]
            impl ::sea_orm::ActiveModelBehavior for $am {
                async fn before_save<C>(mut self, _db: &C, insert: bool) -> Result<Self, ::sea_orm::DbErr>
                where
                    C: ::sea_orm::ConnectionTrait,
                {
                    #[allow(unused_imports)]
                    use $crate::behavior::Stamp as _;
                    let at = $crate::behavior::now();
                    $( self.$i.stamp_on_insert(at, insert); )*
                    $($( self.$s.stamp_on_save(at); )*)?
                    let _ = (at, insert);
                    Ok(self)
                }
            }
        )*
    };
}
