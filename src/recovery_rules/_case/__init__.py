"""A case: the path as a pure state machine, and `Case`, which walks it and records each step."""
