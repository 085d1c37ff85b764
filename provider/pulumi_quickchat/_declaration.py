"""The resource, its lookup and the provider's configuration, each field declared once.

As pulumi-go-provider's `infer` reads one struct per resource, with a tag on each
field, this module is read by everything that names a field. Each class below is
typed, and each field's type is annotated with its Facts: its description,
whether it is required or secret, its default and, for the provider's
configuration, the environment variable that sets it. Its name is Quickchat's
own (snake_case), which Python programs use too; its name in the package schema
and every SDK generated from it is the same in camelCase (`schema_name`). The
package schema (`_plugin/schema.py`), the dynamic resource's properties, the
lookup's result, the defaults check fills in and the field names in every
message derive from here; the rules each field must follow are its validator in
`_core.py`.

A description may name another field as `{that_field}`: `Field.describe` words it
in the reader's names.
"""

from __future__ import annotations

import dataclasses
import re
import types
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, get_args, get_type_hints

PACKAGE = "quickchat"
RESOURCE_TYPE = f"{PACKAGE}:index:ConversationRatingConfig"
FUNCTION_TOKEN = f"{PACKAGE}:index:getConversationRatingConfig"

DEFAULT_BASE_URL = "https://app.quickchat.ai"
# The documented question codes; the default list is both, in this order.
QUESTION_CODES: tuple[str, ...] = ("HELPFUL_THUMBS", "EXPERIENCE_THUMBS")
DEFAULT_QUESTION_CODES: tuple[str, ...] = QUESTION_CODES

# How a caller's users write a field's name: Python programs and Quickchat as declared,
# the package schema (every other language) in camelCase.
Naming = Callable[[str], str]


def python_name(name: str) -> str:
    return name


def schema_name(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(word.capitalize() for word in rest)


@dataclass(frozen=True)
class Facts:
    """What is declared about one field, besides its name and type: its tag, as in
    `conv_rating_active: Annotated[bool, Facts("...", required=True)]`."""

    description: str
    required: bool = False
    secret: bool = False
    # Filled in by check when the program leaves the field out: another input's value
    # (whose secrecy it then shares). A fixed default is the dataclass field's own.
    default_from: str | None = None
    # The provider's configuration only: the environment variable read when unset.
    environment: str | None = None


@dataclass(frozen=True)
class Field:
    """One declared field: its name, its Python type and its Facts."""

    name: str
    type: Any
    # Whether an output may be absent (an input's need is `facts.required`).
    optional: bool
    facts: Facts
    # A fresh copy of its fixed default, or None where it has none.
    default: Callable[[], Any] | None = None

    @property
    def schema_name(self) -> str:
        return schema_name(self.name)

    def accepts(self, value: Any) -> bool:
        """Whether `value` is of the field's type (not None)."""
        if self.type == list[str]:
            return isinstance(value, list) and all(isinstance(item, str) for item in value)
        return isinstance(value, self.type)

    def describe(self, naming: Naming) -> str:
        """The description, naming other fields as `naming` does."""
        return _REFERENCE.sub(lambda match: naming(match[1]), self.facts.description)


_REFERENCE = re.compile(r"\{(\w+)\}")
# The types a field may have, as a message names them.
KINDS: dict[Any, str] = {bool: "a boolean", str: "a string", list[str]: "a list of strings"}


def fields_of(cls: type) -> tuple[Field, ...]:
    """The declared fields of `cls`, in order: each typed `Annotated[T, Facts(...)]`, where
    `T | None` is a T that may be absent."""
    hints = get_type_hints(cls, include_extras=True)
    declared = []
    for field in dataclasses.fields(cls):
        hint, facts = get_args(hints[field.name])
        optional = isinstance(hint, types.UnionType) and type(None) in get_args(hint)
        if optional:
            (hint,) = (arg for arg in get_args(hint) if arg is not type(None))
        declared.append(Field(field.name, hint, optional, facts, _default_of(field)))
    return tuple(declared)


def _default_of(field: dataclasses.Field[Any]) -> Callable[[], Any] | None:
    if field.default_factory is not dataclasses.MISSING:
        return field.default_factory
    if field.default is not dataclasses.MISSING:
        return lambda: field.default
    return None


_CODES = ", ".join(QUESTION_CODES)


@dataclass(frozen=True)
class RatingConfiguration:
    """An AI Agent's Conversation Rating setting, as Quickchat stores it: the fields the
    resource manages, in Quickchat's order."""

    conv_rating_active: Annotated[
        bool,
        Facts("Whether visitors are asked to rate the conversation at its end.", required=True),
    ]
    conv_rating_popup_active: Annotated[
        bool,
        Facts(
            "Whether a popup asks for the rating. Quickchat requires it to equal "
            "{conv_rating_active}, which it defaults to.",
            default_from="conv_rating_active",
        ),
    ]
    # A list, as in Quickchat's JSON and in the resource's outputs, so that a
    # comparison with a list literal means what it says.
    conv_rating_question_codes: Annotated[
        list[str], Facts(f"The questions asked, in order, from {_CODES}; defaults to both.")
    ] = dataclasses.field(default_factory=lambda: list(DEFAULT_QUESTION_CODES))

    @classmethod
    def from_api(cls, body: Any) -> RatingConfiguration:
        """Parse Quickchat's JSON; ValueError names what is missing or mistyped."""
        if not isinstance(body, dict):
            raise ValueError(f"expected a JSON object, got {type(body).__name__}")
        for field in SETTING:
            if not field.accepts(body.get(field.name)):
                raise ValueError(f"`{field.name}` is missing or not {KINDS[field.type]}")
        return cls(**{field.name: _copy(body[field.name]) for field in SETTING})

    def to_api(self) -> dict[str, Any]:
        return {field.name: _copy(getattr(self, field.name)) for field in SETTING}


def _copy(value: Any) -> Any:
    return list(value) if isinstance(value, list) else value


@dataclass(frozen=True)
class Connection:
    """Which AI Agent, reached where: another agent or address is another configuration,
    so a change of either replaces the resource."""

    api_token: Annotated[
        str | None,
        Facts(
            "A Quickchat API token of this AI Agent, with the write_all scope (read_all for the "
            "function). Defaults to the provider's {api_token}. Its agent is the resource: a "
            "token of another agent replaces it.",
            secret=True,
        ),
    ]
    # Always recorded, though the program may leave it out.
    base_url: Annotated[
        str,
        Facts(
            "The Quickchat API address; defaults to the provider's {base_url}, then "
            f"{DEFAULT_BASE_URL}. Another address replaces the resource."
        ),
    ]


@dataclass(frozen=True)
class Agent:
    """What the resource records besides its inputs."""

    scenario_id: Annotated[
        str,
        Facts(
            "The AI Agent managed, read from the token's claims (a `token-` fingerprint where "
            "the token is no JWT). Also the resource's id."
        ),
    ]


@dataclass(frozen=True)
class ProviderFields:
    """The provider's own settings: stack config `quickchat:*` for the default provider,
    an explicit provider's arguments, else the environment."""

    api_token: Annotated[
        str | None,
        Facts(
            "The default API token (one token, one AI Agent); QUICKCHAT_API_TOKEN if unset.",
            secret=True,
            environment="QUICKCHAT_API_TOKEN",
        ),
    ]
    base_url: Annotated[
        str | None,
        Facts(
            "The Quickchat API address; QUICKCHAT_API_BASE_URL, then "
            f"{DEFAULT_BASE_URL}, if unset.",
            environment="QUICKCHAT_API_BASE_URL",
        ),
    ]


SETTING = fields_of(RatingConfiguration)
CONNECTION = fields_of(Connection)
INPUTS = SETTING + CONNECTION
# The resource's outputs: what Quickchat holds, the agent and the address, and the token
# where it was given per resource.
OUTPUTS = INPUTS + fields_of(Agent)
# The lookup's result: nothing secret.
LOOKUP_RESULT = tuple(field for field in OUTPUTS if not field.facts.secret)
CONFIGURATION = fields_of(ProviderFields)

SETTING_NAMES = tuple(field.name for field in SETTING)
INPUT_NAMES = tuple(field.name for field in INPUTS)
CONNECTION_NAMES = tuple(field.name for field in CONNECTION)
# Secret wherever they go, whatever the program marked.
SECRET_NAMES = tuple(field.name for field in INPUTS if field.facts.secret)
