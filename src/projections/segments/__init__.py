"""Segments: the rule language, its compiler to SQL, and stored segments."""
