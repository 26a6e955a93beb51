"""openapi.json, built from the endpoints and their pydantic models (nothing is described twice)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from typing import Any, Literal

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from handlers.api.endpoint import ERROR_TEXT, Endpoint
from handlers.api.schemas import ErrorOut

_REF = "#/components/schemas/{model}"
_PARAM = re.compile(r"{(\w+)}")


def _version() -> str:
    try:
        return version("retention-bot")
    except PackageNotFoundError:
        return "0"


def _success(status: int) -> str:
    if status == 201:
        return "created"
    return "done" if status < 300 else ERROR_TEXT.get(status, "refused")


def openapi_document(endpoints: Sequence[Endpoint], prefix: str) -> dict[str, Any]:
    models: dict[tuple[type[BaseModel], Literal["validation", "serialization"]], None] = {
        (ErrorOut, "serialization"): None
    }
    for endpoint in endpoints:
        if endpoint.body is not None:
            models[(endpoint.body, "validation")] = None
        for model in endpoint.responses.values():
            models[(model, "serialization")] = None
    keys, defs = models_json_schema(list(models), ref_template=_REF)

    def ref(model: type[BaseModel], mode: Literal["validation", "serialization"]) -> dict[str, Any]:
        return dict(keys[(model, mode)])

    paths: dict[str, dict[str, Any]] = {}
    for endpoint in endpoints:
        operation: dict[str, Any] = {
            "summary": endpoint.summary,
            "security": [{"bearer": []}],
            "responses": {
                **{
                    str(status): {
                        "description": _success(status),
                        "content": {"application/json": {"schema": ref(model, "serialization")}},
                    }
                    for status, model in endpoint.responses.items()
                },
                **{
                    str(status): {
                        "description": ERROR_TEXT[status],
                        "content": {"application/json": {"schema": ref(ErrorOut, "serialization")}},
                        **(
                            {"headers": {"Retry-After": {"schema": {"type": "integer"}}}}
                            if status == 429
                            else {}
                        ),
                    }
                    for status in endpoint.errors
                },
            },
        }
        names = _PARAM.findall(endpoint.path)
        if names:
            operation["parameters"] = [
                {
                    "name": name,
                    "in": "path",
                    "required": True,
                    "description": endpoint.params.get(name, ""),
                    "schema": {"type": "string", "minLength": 1, "maxLength": 64},
                }
                for name in names
            ]
        if endpoint.body is not None:
            operation["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": ref(endpoint.body, "validation")}},
            }
        paths.setdefault(prefix + endpoint.path, {})[endpoint.method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "retention-bot API",
            "version": _version(),
            "description": "Purchases, refunds and customers from tills and online shops. "
            "Every route needs `Authorization: Bearer KEY` (`retention-bot apikey create NAME`).",
        },
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": defs.get("$defs", {}),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }
