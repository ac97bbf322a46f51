"""The FastAPI application: routes, error handlers and the services' lifetime."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api.bootstrap.settings import Settings
from api.bootstrap.wiring import Services, build_services
from api.http.docs import install_docs
from api.http.errors import install_error_handlers
from api.http.limits import BodySizeLimit
from api.http.nul_guard import NulGuard
from api.http.proxies import TrustedProxyHeaders
from api.http.routes import (
    completions,
    consents,
    customers,
    duplicates,
    finance,
    health,
    imports,
    indicators,
    mail_feedback,
    offerings,
    organisations,
    pipeline,
    privacy,
    reports,
    segments,
    service_tokens,
    tasks,
    touchpoints,
)
from api.http.security_headers import SecurityHeaders
from api.web import install_web
from api.web.sign_in_gate import SignInGate
from crm.speedups.gc_policy import settle_heap

DESCRIPTION = """Event-sourced CRM and customer journeys for the Tampere3 continuing-education
provider. Every touchpoint is an immutable event; reads come from projections."""


def create_app(settings: Settings | None = None, services: Services | None = None) -> FastAPI:
    """Build the app; given services are used as they are (tests), else built from settings."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = services is None
        app.state.services = services or build_services(settings or Settings())
        if owned:
            settle_heap()
        try:
            yield
        finally:
            if owned:
                app.state.services.close()

    app = FastAPI(
        title="Asiakassilmä",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    install_docs(app)
    install_error_handlers(app)
    # The last added runs first: proxy headers set the scheme and client the others see; the
    # sign-in gate reads a form only after its size and NUL checks.
    app.add_middleware(SignInGate)
    app.add_middleware(BodySizeLimit)
    app.add_middleware(NulGuard)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(TrustedProxyHeaders)
    app.include_router(health.router)
    app.include_router(customers.router)
    app.include_router(touchpoints.router)
    app.include_router(imports.router)
    app.include_router(mail_feedback.router)
    app.include_router(privacy.router)
    app.include_router(indicators.router)
    app.include_router(consents.router)
    app.include_router(organisations.router)
    app.include_router(reports.router)
    app.include_router(segments.router)
    app.include_router(tasks.router)
    app.include_router(service_tokens.router)
    app.include_router(pipeline.router)
    app.include_router(offerings.router)
    app.include_router(finance.router)
    app.include_router(completions.router)
    app.include_router(duplicates.router)
    install_web(app)
    return app
