"""Reference Python client for the Seedance video API."""
