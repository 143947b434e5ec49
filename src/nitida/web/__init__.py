"""The back office in the browser: server-rendered pages in Spanish under /app,
made lively with htmx, on the same services as the API (see mount.install_web)."""
