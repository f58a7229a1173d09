//! Hand-written behaviour of the vector entities: a collection's `created_at` is stamped on
//! insert; records carry no timestamp (their `seq` orders them).

use super::{vector_collections, vector_records};

crate::timestamped! {
    vector_collections::ActiveModel { insert: [created_at] }
    vector_records::ActiveModel { insert: [] }
}
