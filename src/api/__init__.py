"""Asiakassilmä HTTP API, web UI, command line and wiring."""
