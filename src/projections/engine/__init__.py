"""The projection machinery: views with tracking positions, the batched runner, generations."""
