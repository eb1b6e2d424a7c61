"""The emulator's dashboard at /_mock/ (a blueprint: pages, their static files and two JSON helpers)."""

from mockserver.web.dashboard import coverage_page  # noqa: F401 - registers the Coverage page on the blueprint
from mockserver.web.dashboard.views import dashboard, root

__all__ = ["dashboard", "root"]
