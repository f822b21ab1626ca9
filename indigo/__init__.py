"""The Indigo service: settings, the ASGI app factory and the `indigo` command."""
