"""The native provider's package schema (GetSchema), and the names it gives each field.

Schema property names are camelCase; the core speaks Quickchat's snake_case.
`CAMEL` is the one mapping between the two. tests/test_native.py
validates the schema against Pulumi's package metaschema.

The SDKs under sdk/ are generated from it (scripts/gen_sdk.py), so what they need to
read well lives here: descriptions, and a `language` section per SDK. It names no
`pluginDownloadURL` on purpose: the plugin comes with `pip install pulumi-quickchat`
(the Python SDK requires it), never from a download, and a program in another language
names the plugin's folder in Pulumi.yaml (docs/native.md).
"""

from __future__ import annotations

import json
from typing import Any

from .._api import DEFAULT_BASE_URL, QUESTION_CODES
from .._version import __version__, semver

PACKAGE = "quickchat"
RESOURCE_TYPE = "quickchat:index:ConversationRatingConfig"
FUNCTION_TOKEN = "quickchat:index:getConversationRatingConfig"

CAMEL = {
    "conv_rating_active": "convRatingActive",
    "conv_rating_popup_active": "convRatingPopupActive",
    "conv_rating_question_codes": "convRatingQuestionCodes",
    "api_token": "apiToken",
    "base_url": "baseUrl",
    "scenario_id": "scenarioId",
}
SNAKE = {camel: snake for snake, camel in CAMEL.items()}

_CODES = ", ".join(QUESTION_CODES)
_ACTIVE = {
    "type": "boolean",
    "description": "Whether visitors are asked to rate the conversation at its end.",
}
_POPUP = {
    "type": "boolean",
    "description": "Whether a popup asks for the rating. Quickchat requires it to equal "
    "convRatingActive, which it defaults to.",
}
_CODES_PROPERTY = {
    "type": "array",
    "items": {"type": "string"},
    "description": f"The questions asked, in order, from {_CODES}; defaults to both.",
}
_TOKEN = {
    "type": "string",
    "secret": True,
    "description": "A Quickchat API token of this AI Agent, with the write_all scope (read_all "
    "for the function). Defaults to the provider's apiToken. Its agent is the resource: "
    "a token of another agent replaces it.",
}
_BASE_URL = {
    "type": "string",
    "description": f"The Quickchat API address; defaults to the provider's baseUrl, then "
    f"{DEFAULT_BASE_URL}. Another address replaces the resource.",
}
_SCENARIO_ID = {
    "type": "string",
    "description": "The AI Agent managed, read from the token's claims (a `token-` "
    "fingerprint where the token is no JWT). Also the resource's id.",
}
_SETTING = ["convRatingActive", "convRatingPopupActive", "convRatingQuestionCodes"]

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
    "config": {
        "variables": {
            "apiToken": {
                "type": "string",
                "secret": True,
                "description": "The default API token (one token, one AI Agent).",
                "defaultInfo": {"environment": ["QUICKCHAT_API_TOKEN"]},
            },
            "baseUrl": {
                "type": "string",
                "description": f"The Quickchat API address; defaults to {DEFAULT_BASE_URL}.",
                "defaultInfo": {"environment": ["QUICKCHAT_API_BASE_URL"]},
            },
        }
    },
    "provider": {
        "description": "A Quickchat provider: a default API token and address for the "
        "resources and functions that use it.",
        "type": "object",
        "inputProperties": {
            "apiToken": {
                "type": "string",
                "secret": True,
                "description": "The default API token; QUICKCHAT_API_TOKEN if unset.",
                "defaultInfo": {"environment": ["QUICKCHAT_API_TOKEN"]},
            },
            "baseUrl": {
                "type": "string",
                "description": "The Quickchat API address; QUICKCHAT_API_BASE_URL, then "
                f"{DEFAULT_BASE_URL}, if unset.",
                "defaultInfo": {"environment": ["QUICKCHAT_API_BASE_URL"]},
            },
        },
    },
    "resources": {
        RESOURCE_TYPE: {
            "description": "An AI Agent's Conversation Rating setting (Dashboard: Conversations "
            "> Inbox > Feedback settings): whether visitors are asked to rate the "
            "conversation at its end, with a popup, and which questions. The agent is the "
            "one the API token belongs to; each has exactly one setting, so creating the "
            "resource adopts it, and deleting it turns rating off with the default questions.",
            "type": "object",
            "inputProperties": {
                "convRatingActive": _ACTIVE,
                "convRatingPopupActive": _POPUP,
                "convRatingQuestionCodes": _CODES_PROPERTY,
                "apiToken": _TOKEN,
                "baseUrl": _BASE_URL,
            },
            "requiredInputs": ["convRatingActive"],
            "properties": {
                "convRatingActive": _ACTIVE,
                "convRatingPopupActive": _POPUP,
                "convRatingQuestionCodes": _CODES_PROPERTY,
                "apiToken": _TOKEN,
                "baseUrl": _BASE_URL,
                "scenarioId": _SCENARIO_ID,
            },
            "required": [*_SETTING, "baseUrl", "scenarioId"],
        }
    },
    "functions": {
        FUNCTION_TOKEN: {
            "description": "Read an AI Agent's Conversation Rating setting without managing "
            "it: one GET, nothing recorded; a read_all token is enough.",
            "inputs": {
                "type": "object",
                "properties": {"apiToken": _TOKEN, "baseUrl": _BASE_URL},
            },
            "outputs": {
                "type": "object",
                "properties": {
                    "convRatingActive": _ACTIVE,
                    "convRatingPopupActive": _POPUP,
                    "convRatingQuestionCodes": _CODES_PROPERTY,
                    "baseUrl": _BASE_URL,
                    "scenarioId": _SCENARIO_ID,
                },
                "required": [*_SETTING, "baseUrl", "scenarioId"],
            },
        }
    },
}

SCHEMA_JSON = json.dumps(SCHEMA, indent=2)
