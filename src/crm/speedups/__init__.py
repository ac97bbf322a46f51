"""Fenced speed-ups: where the write path departs from the library's own, each tested against it."""
