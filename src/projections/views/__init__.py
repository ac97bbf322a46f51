"""Read models: one module per view, holding its tables, projection and queries."""
