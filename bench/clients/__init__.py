"""One runner per client library; each runs in its own pinned process (see _common)."""
