"""Process start-up: settings, the database to use, key files and the one wiring module."""
