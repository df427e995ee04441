"""HTTP: the app factory and what every page shares (templates, CSRF, errors, the request's
language, static files); the routers are the domains' own pages and api modules."""
