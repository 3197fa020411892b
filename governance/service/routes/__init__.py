"""The service's routes, one module per resource; each holds a ``router``."""
