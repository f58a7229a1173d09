//! Every entity of the platform system under its type name.
