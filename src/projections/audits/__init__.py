"""Audits that read several views side by side."""
