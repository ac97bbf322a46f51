"""Adapters of the write side: encryption of personal data and storage."""
