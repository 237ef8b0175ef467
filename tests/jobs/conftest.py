"""The SCIM client fixtures, for the jobs that SCIM requests start."""

from tests.scim.conftest import scim, token  # noqa: F401
