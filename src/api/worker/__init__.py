"""The worker process: projections and scheduled jobs."""
