//! Shared helpers for Plugboard's end-to-end tests (filled as the engine and app land).
