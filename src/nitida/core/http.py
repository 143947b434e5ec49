"""HTTP facts every layer agrees on."""

# Requests that change nothing: their unit of work is read-only (API and pages alike), and a page's form
# needs no CSRF token for them.
READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
