"""Deciding: the rules, the resolution they explain, the durable-rules backend, and the promises restated."""
