"""The real service: forward to it, judge its answers, record and replay its task lifecycles (docs/real-service.md)."""

QUERY_PREFIX = "/api/open-api/v1/videos/"
"""The query path without the task id."""
RESULTS_PATH = "/_mock/upstream/results/"
"""Where the proxy serves the real service's result files (rewritten result URLs)."""
