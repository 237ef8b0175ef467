"""The OpenAPI 3 document at /api/v1/schema/ validates, documents every operation with its
errors, and the documentation page is served by Roster itself: nothing from a CDN."""

from __future__ import annotations

import re

import pytest
import yaml
from django.contrib.staticfiles import finders
from django.test import Client
from openapi_spec_validator import OpenAPIV30SpecValidator, validate

pytestmark = pytest.mark.django_db

ERROR_REF = {"$ref": "#/components/schemas/Error"}


@pytest.fixture
def schema(db) -> dict:
    response = Client().get("/api/v1/schema/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi+json")
    return response.json()


def test_the_schema_is_valid_openapi_3(schema):
    assert schema["openapi"].startswith("3.0")
    validate(schema, cls=OpenAPIV30SpecValidator)  # raises on any error


def test_yaml_too(db):
    response = Client().get("/api/v1/schema/?format=yaml")
    assert response.status_code == 200
    assert yaml.safe_load(response.content)["info"]["title"] == "Roster management API"


def test_only_the_api_is_documented(schema):
    assert schema["paths"] and all(p.startswith("/api/v1/organizations") for p in schema["paths"])


def test_every_operation_documents_its_errors_and_security(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            where = f"{method.upper()} {path}"
            assert operation.get("summary"), where
            assert operation["security"] == [{"apiKey": []}, {"cookieAuth": []}], where
            responses = operation["responses"]
            for status in ("401", "403", "429"):
                assert responses[status]["content"]["application/json"]["schema"] == \
                    ERROR_REF, where
            if "{" in path:
                assert "404" in responses, where
            if "requestBody" in operation:
                assert {"400", "413", "415"} <= set(responses), where
    assert schema["components"]["securitySchemes"]["apiKey"] == {
        "type": "http", "scheme": "bearer",
        "description": schema["components"]["securitySchemes"]["apiKey"]["description"]}


def test_the_error_shape_is_in_the_schema(schema):
    error = schema["components"]["schemas"]["Error"]
    detail = schema["components"]["schemas"]["ErrorDetail"]
    assert error["required"] == ["error"]
    assert set(detail["required"]) == {"code", "message", "fields"}


def test_the_docs_page_loads_nothing_from_elsewhere(db):
    response = Client().get("/api/v1/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<div id="swagger-ui">' in html and 'url: "/api/v1/schema"' in html
    assert not re.search(r"""(?:src|href)=["']?(?:https?:)?//""", html), html
    assets = re.findall(r"""(?:src|href)="(/static/[^"]+)\"""", html)
    assert len(assets) >= 3, html
    for asset in assets:
        assert finders.find(asset.removeprefix("/static/")), asset
    assert '"validatorUrl": null' in html  # no badge from swagger.io either
