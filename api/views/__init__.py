"""The /api/v1 endpoints, one module per resource, on the pipeline of ``api.views.base``."""
