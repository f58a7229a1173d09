//! Every entity of the chat system under its type name.
