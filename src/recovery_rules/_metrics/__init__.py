"""The pilot metrics of a journal's cases: replayed, verified, counted into typed figures (``metrics``)."""
