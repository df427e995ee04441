"""HTTP: the app factory, routers, templates and static files."""
