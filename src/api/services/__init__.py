"""Read-side services every entry point shares: search, segments, the privacy export."""
