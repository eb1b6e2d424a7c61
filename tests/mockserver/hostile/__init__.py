"""Hostile clients and operators: slow and many connections, odd bodies, bad options, signals."""
