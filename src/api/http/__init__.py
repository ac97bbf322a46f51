"""The HTTP API: the FastAPI application, routes, schemas and the boundary's guards."""
