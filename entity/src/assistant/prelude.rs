//! Every entity of the assistant system under its type name.
