"""Probable duplicates among customers, found from what the directory already holds."""
