"""The SCIM token fixture, for requests that carry one."""

from tests.scim.conftest import scim, token  # noqa: F401
