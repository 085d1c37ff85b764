"""The native provider's package schema (GetSchema), derived from the declaration.

Each property is a declared field (`_declaration.py`) under its camelCase name.
tests/test_native.py validates the schema against Pulumi's package metaschema.

The SDKs under sdk/ are generated from it (scripts/gen_sdk.py), so what they need to
read well lives here: descriptions, and a `language` section per SDK. It names no
`pluginDownloadURL` on purpose: the plugin comes with `pip install pulumi-quickchat`
(the Python SDK requires it), never from a download, and a program in another language
names the plugin's folder in Pulumi.yaml (docs/native.md).
"""

from __future__ import annotations

import json
from typing import Any

from .._declaration import (
    CONFIGURATION,
    CONNECTION,
    FUNCTION_TOKEN,
    INPUTS,
    LOOKUP_RESULT,
    OUTPUTS,
    PACKAGE,
    RESOURCE_TYPE,
    Field,
    schema_name,
)
from .._version import __version__, semver

# Optional fields are typed `X | None`: the schema says optional by leaving them out of
# the required list, not by their type.
_TYPES: dict[Any, dict[str, Any]] = {
    bool: {"type": "boolean"},
    str: {"type": "string"},
    list[str]: {"type": "array", "items": {"type": "string"}},
}


def _property(field: Field) -> dict[str, Any]:
    prop: dict[str, Any] = dict(_TYPES[field.type])
    if field.facts.secret:
        prop["secret"] = True
    prop["description"] = field.describe(schema_name)
    if field.facts.environment:
        prop["defaultInfo"] = {"environment": [field.facts.environment]}
    return prop


def _properties(fields: tuple[Field, ...]) -> dict[str, Any]:
    return {field.schema_name: _property(field) for field in fields}


def _required(fields: tuple[Field, ...]) -> list[str]:
    """The outputs always present: every field not typed optional."""
    return [field.schema_name for field in fields if not field.optional]


SCHEMA: dict[str, Any] = {
    "name": PACKAGE,
    "displayName": "Quickchat",
    # Semver for the engine, from the one PEP 440 version (_version.py); each SDK's
    # package version follows it (respectSchemaVersion).
    "version": semver(__version__),
    "description": "Manage the Conversation Rating setting of Quickchat AI Agents.",
    "keywords": ["pulumi", "quickchat", "category/utility", "kind/native"],
    "license": "Apache-2.0",
    "language": {
        "python": {
            # Its own import name, so that the program `pulumi import` prints
            # (pkg/codegen/python/gen_program.go imports packageName) creates the native
            # resource; `pulumi_quickchat.ConversationRatingConfig` stays the dynamic one.
            "packageName": "pulumi_quickchat_native",
            "respectSchemaVersion": True,
            "pyproject": {"enabled": True},
            "pythonRequires": ">=3.11",
            # The plugin, pulumi-resource-quickchat, is in this distribution.
            "requires": {"pulumi-quickchat": f"=={__version__}"},
        },
        "nodejs": {
            "packageName": "@pulumi-quickchat/quickchat",
            "respectSchemaVersion": True,
        },
        "go": {
            "importBasePath": "github.com/pulumi-quickchat/pulumi-quickchat/sdk/go/quickchat",
            "respectSchemaVersion": True,
            "generateResourceContainerTypes": True,
        },
    },
    "config": {"variables": _properties(CONFIGURATION)},
    "provider": {
        "description": "A Quickchat provider: a default API token and address for the "
        "resources and functions that use it.",
        "type": "object",
        "inputProperties": _properties(CONFIGURATION),
    },
    "resources": {
        RESOURCE_TYPE: {
            "description": "An AI Agent's Conversation Rating setting (Dashboard: Conversations "
            "> Inbox > Feedback settings): whether visitors are asked to rate the "
            "conversation at its end, with a popup, and which questions. The agent is the "
            "one the API token belongs to; each has exactly one setting, so creating the "
            "resource adopts it, and deleting it turns rating off with the default questions.",
            "type": "object",
            "inputProperties": _properties(INPUTS),
            "requiredInputs": [field.schema_name for field in INPUTS if field.facts.required],
            "properties": _properties(OUTPUTS),
            "required": _required(OUTPUTS),
        }
    },
    "functions": {
        FUNCTION_TOKEN: {
            "description": "Read an AI Agent's Conversation Rating setting without managing "
            "it: one GET, nothing recorded; a read_all token is enough.",
            "inputs": {"type": "object", "properties": _properties(CONNECTION)},
            "outputs": {
                "type": "object",
                "properties": _properties(LOOKUP_RESULT),
                "required": _required(LOOKUP_RESULT),
            },
        }
    },
}

SCHEMA_JSON = json.dumps(SCHEMA, indent=2)
