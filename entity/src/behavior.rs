//! Hand-written behaviour shared by the entities: timestamps.
//!
//! Lives beside the generated-style entity files so that regenerating them never loses it.

use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::ActiveValue;

/// The current time at the precision every backend stores (microseconds), so that a value
/// written and read back compares equal on SQLite and PostgreSQL alike.
#[must_use]
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// Fill `created_at` on insert when the caller left it unset.
pub fn stamp_created(created_at: &mut ActiveValue<DateTime<Utc>>, insert: bool) {
    if insert && created_at.is_not_set() {
        *created_at = ActiveValue::Set(now());
    }
}

/// Fill `created_at` on insert (when unset) and move `updated_at` on every save, unless the
/// caller set it explicitly.
pub fn stamp_created_updated(
    created_at: &mut ActiveValue<DateTime<Utc>>,
    updated_at: &mut ActiveValue<DateTime<Utc>>,
    insert: bool,
) {
    let at = now();
    if insert && created_at.is_not_set() {
        *created_at = ActiveValue::Set(at);
    }
    if !matches!(updated_at, ActiveValue::Set(_)) {
        *updated_at = ActiveValue::Set(at);
    }
}

/// For a nullable timestamp: on insert, fill it with `at` when the caller left it unset (an
/// explicit `Set(None)` stays NULL).
pub fn stamp_nullable_on_insert(
    column: &mut ActiveValue<Option<DateTime<Utc>>>,
    at: DateTime<Utc>,
    insert: bool,
) {
    if insert && column.is_not_set() {
        *column = ActiveValue::Set(Some(at));
    }
}

/// For a nullable timestamp: on every save, move it to `at` unless the caller set it.
pub fn stamp_nullable_on_save(column: &mut ActiveValue<Option<DateTime<Utc>>>, at: DateTime<Utc>) {
    if !matches!(column, ActiveValue::Set(_)) {
        *column = ActiveValue::Set(Some(at));
    }
}

/// Implement [`sea_orm::ActiveModelBehavior`] for entities whose only behaviour is timestamps.
///
/// `created: [a::ActiveModel => created_at]` stamps creation only;
/// `created_updated: [b::ActiveModel => created_at, updated_at]` stamps both.
#[macro_export]
macro_rules! timestamped {
    (created: $($am:path => $c:ident),* $(,)?) => {
        $(
            #[::sea_orm::prelude::async_trait::async_trait]
            impl ::sea_orm::ActiveModelBehavior for $am {
                async fn before_save<C>(mut self, _db: &C, insert: bool) -> Result<Self, ::sea_orm::DbErr>
                where
                    C: ::sea_orm::ConnectionTrait,
                {
                    $crate::behavior::stamp_created(&mut self.$c, insert);
                    Ok(self)
                }
            }
        )*
    };
    (created_updated: $($am:path => $c:ident, $u:ident);* $(;)?) => {
        $(
            #[::sea_orm::prelude::async_trait::async_trait]
            impl ::sea_orm::ActiveModelBehavior for $am {
                async fn before_save<C>(mut self, _db: &C, insert: bool) -> Result<Self, ::sea_orm::DbErr>
                where
                    C: ::sea_orm::ConnectionTrait,
                {
                    $crate::behavior::stamp_created_updated(&mut self.$c, &mut self.$u, insert);
                    Ok(self)
                }
            }
        )*
    };
}
