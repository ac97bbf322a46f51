"""PostgreSQL adapters, one module per port."""
