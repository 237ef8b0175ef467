"""The REST management API at /api/v1/: DRF views over the services of ``orgs``, ``scim`` and
``sso``, with personal API keys (``api.models.ApiKey``) created in the admin."""
