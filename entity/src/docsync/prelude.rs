//! Every entity of the docsync system under its type name.
