"""Read models: projections of the customer journey into PostgreSQL views."""
