"""The `crm` command line."""
