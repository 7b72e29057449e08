"""One module per verb; each has a click ``command`` that returns an exit code."""
