"""Web floor: Dash layout, figure builders, callbacks, the app factory and the WSGI entry point."""
