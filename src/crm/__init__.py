"""Asiakassilmä write side: the customer journey as events, and the commands that record it."""
