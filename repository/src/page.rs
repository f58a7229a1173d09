//! Pagination shared by every listing.

use crate::error::{Error, Result};

/// Largest page any listing returns.
pub const MAX_PAGE_SIZE: u64 = 1000;

/// A page request: `limit` rows after skipping `offset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    /// Rows to return, 1 to [`MAX_PAGE_SIZE`].
    pub limit: u64,
    /// Rows to skip.
    pub offset: u64,
}

impl Default for Page {
    fn default() -> Self {
        Self {
            limit: 50,
            offset: 0,
        }
    }
}

impl Page {
    /// The first `limit` rows.
    #[must_use]
    pub const fn first(limit: u64) -> Self {
        Self { limit, offset: 0 }
    }

    /// Page number `number` (0-based) of `size` rows.
    #[must_use]
    pub const fn nth(number: u64, size: u64) -> Self {
        Self {
            limit: size,
            offset: number.saturating_mul(size),
        }
    }

    /// Check the bounds.
    ///
    /// # Errors
    /// [`Error::Validation`] for a limit of 0 or above [`MAX_PAGE_SIZE`].
    pub fn validate(self) -> Result<Self> {
        if self.limit == 0 || self.limit > MAX_PAGE_SIZE {
            return Err(Error::validation(
                "limit",
                format!("must be between 1 and {MAX_PAGE_SIZE}"),
                self.limit,
            ));
        }
        if self.offset > i64::MAX as u64 {
            return Err(Error::validation("offset", "is too large", self.offset));
        }
        Ok(self)
    }
}
