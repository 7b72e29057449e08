"""The pilot metrics of a journal's cases: replaying them, counting them, and the typed figures (``recovery_rules.metrics``)."""
