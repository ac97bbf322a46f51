"""How far an erasure has reached the read models, shared by the API and the DPO's pages."""

from __future__ import annotations

from api.bootstrap.wiring import Services
from crm.application.privacy import ErasureRequest


def purged_views(services: Services, request: ErasureRequest) -> dict[str, bool]:
    """Per read model, whether it has applied the request's `Erased` event yet.

    Waits (briefly, up to the read-wait timeout per view) for each, so the pages read
    afterwards agree with the certificate; an unfinished request has nothing to wait for.
    """
    purged: dict[str, bool] = {}
    position = ((request.certificate or {}).get("erased_event") or {}).get("position")
    if position:
        for view in services.views.refresh():
            view.wait_for(position, services.settings.read_wait_timeout)
            purged[view.name] = view.position() >= position
    return purged
