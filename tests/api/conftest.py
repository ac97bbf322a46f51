"""Fixtures of the HTTP tier: the app that signed-in web clients talk to."""

from __future__ import annotations

import pytest
from fastapi import FastAPI

from api.bootstrap.wiring import Services
from api.http.app import create_app


@pytest.fixture(scope="module")
def app(services: Services) -> FastAPI:
    """The app on the shared services, usable by clients opened without a `with` block."""
    built = create_app(services=services)
    # Clients used without a `with` block never run the lifespan that would set this.
    built.state.services = services
    return built
