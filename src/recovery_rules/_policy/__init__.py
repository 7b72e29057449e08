"""A policy: its parts, its file, its JSON Schema, its Plan B catalog, and its load-time checks."""
