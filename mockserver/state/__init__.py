"""The emulator's state apart from HTTP: tasks, control state, journal, and the stores that hold them.

Nothing in this package imports Flask, a WSGI server or a JSON-schema library.
"""
