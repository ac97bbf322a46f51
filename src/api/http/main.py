"""The ASGI entry point for uvicorn: `api.main:app`, configured from the environment."""

from __future__ import annotations

from api.http.app import create_app

app = create_app()
