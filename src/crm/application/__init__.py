"""Use cases of the write side: commands, batching, imports, privacy, retention."""
