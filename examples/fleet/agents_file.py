"""The fleet's data file (TOML): which agents, where each one's token is, which setting.

It is read and checked whole before the program declares any resource, so a
mistake in it stops `pulumi preview` before a single request, with one line
per problem naming the file, the entry, the key and the fix. The setting
values themselves (known question codes, popup equal to active) are left to
the provider's check, whose messages name the property and suggest the fix.
"""

from __future__ import annotations

import difflib
import json
import tomllib
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi

# The resource's own input names, so an entry reads like the call it becomes.
SETTINGS = ("conv_rating_active", "conv_rating_popup_active", "conv_rating_question_codes")
ENTRY_KEYS = ("name", "token_config", "previous_names", *SETTINGS)
FILE_KEYS = ("defaults", "agents")


class AgentsFileError(pulumi.RunError):
    """The data file cannot be used. A RunError: the CLI shows the message, no traceback."""


@dataclass(frozen=True)
class Agent:
    name: str  # the resource's name in the stack
    token_config: str  # the stack config key that holds its API token
    settings: dict[str, Any]  # [defaults], each key the entry sets replaced by its own
    # Names the resource had before, so a rename moves it in state (Pulumi aliases)
    # instead of creating it anew and then resetting the agent through the old name.
    previous_names: tuple[str, ...] = ()


def load(path: Path) -> list[Agent]:
    try:
        with path.open("rb") as file:
            document = tomllib.load(file)
    except OSError as error:  # no such file, a directory, no permission
        raise AgentsFileError(
            f"{path}: cannot read it ({error.strerror}): create it, or point this stack at "
            "its own with `pulumi config set agentsFile <path>` (relative to the program's "
            "directory, or absolute)"
        ) from None
    except tomllib.TOMLDecodeError as error:
        raise AgentsFileError(f"{path}: not valid TOML: {error}") from None

    problems = _unknown_keys("top level", document, FILE_KEYS)
    defaults = document.get("defaults", {})
    if isinstance(defaults, dict):
        problems += _unknown_keys("[defaults]", defaults, SETTINGS)
        problems += _wrong_types("[defaults]", defaults)
    else:
        problems.append("defaults: must be a table: write [defaults] above the policy's settings")
        defaults = {}
    entries = document.get("agents")
    agents: list[Agent] = []
    if not entries:
        problems.append(
            "no agents: add an [[agents]] table per agent, with its name and token_config"
        )
    elif not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        problems.append(
            "agents: must be an array of tables: write [[agents]] (double brackets) "
            "above each agent's keys"
        )
    else:
        agents, entry_problems = _check_entries(entries, defaults)
        problems += entry_problems
    if problems:
        raise AgentsFileError("\n".join(f"{path}: {problem}" for problem in problems))
    return agents


def _check_entries(
    entries: list[dict[str, Any]], defaults: dict[str, Any]
) -> tuple[list[Agent], list[str]]:
    """The agents of the sound [[agents]] entries, and every problem of the others."""
    agents: list[Agent] = []
    problems: list[str] = []
    labels = [_label(position, entry) for position, entry in enumerate(entries, 1)]
    unset: list[str] = []
    for label, entry in zip(labels, entries, strict=True):
        where = f"[[agents]] entry {label}"
        entry_problems = _unknown_keys(where, entry, ENTRY_KEYS) + _wrong_types(where, entry)
        entry_problems += _required_keys(where, entry) + _previous_names(where, entry)
        # An override replaces the default of that key (a list replaces the list).
        overrides = {k: v for k, v in entry.items() if k in SETTINGS}
        inherited = dict(defaults)
        if "conv_rating_active" in overrides and "conv_rating_popup_active" not in overrides:
            # Quickchat requires the popup to equal the rating switch: an entry that
            # turns rating off (or on) takes the popup with it, not the policy's.
            inherited.pop("conv_rating_popup_active", None)
        settings = {**inherited, **overrides}
        if "conv_rating_active" not in settings:
            unset.append(label)
        elif not entry_problems:
            previous = tuple(entry.get("previous_names", ()))
            agents.append(Agent(entry["name"], entry["token_config"], settings, previous))
        problems += entry_problems
    if unset:
        # One line, not one per entry: it is most often [defaults] that lacks it.
        problems.append(
            f"conv_rating_active is set neither in [defaults] nor in [[agents]] "
            f"{_entries(unset)}: add conv_rating_active = true (or false) to [defaults], "
            "or to each of them"
        )
    for key, fix in (
        ("name", "give each agent a resource name of its own"),
        (
            "token_config",
            "one token is one agent, so their resources would overwrite each other's "
            "setting: give each agent its own token, under a key of its own",
        ),
    ):
        holders: dict[str, list[str]] = defaultdict(list)
        for position, (label, entry) in enumerate(zip(labels, entries, strict=True), 1):
            if isinstance(entry.get(key), str):
                holders[entry[key]].append(str(position) if key == "name" else label)
        problems += [
            f"{key} {value!r} is in [[agents]] {_entries(shared)}: {fix}"
            for value, shared in holders.items()
            if len(shared) > 1
        ]
    problems += _previous_names_claimed_twice(labels, entries)
    return agents, problems


def _previous_names(where: str, entry: dict[str, Any]) -> list[str]:
    if "previous_names" not in entry:
        return []
    previous = entry["previous_names"]
    if not isinstance(previous, list) or not all(isinstance(n, str) and n for n in previous):
        return [
            f"{where}: previous_names must be a list of the (non-empty) names it had, e.g. "
            f'previous_names = ["sales"], not {_toml(previous)}'
        ]
    if entry.get("name") in previous:
        return [f"{where}: previous_names lists its own name: leave it out"]
    return []


def _previous_names_claimed_twice(labels: list[str], entries: list[dict[str, Any]]) -> list[str]:
    """A previous name is one resource in state: only one entry can take it over."""
    claims: dict[str, list[str]] = defaultdict(list)
    for label, entry in zip(labels, entries, strict=True):
        if isinstance(entry.get("name"), str):
            claims[entry["name"]].append(f"{label} (its name)")
        previous = entry.get("previous_names")
        if isinstance(previous, list):
            # Its own name there is reported on its own (_previous_names); a name
            # listed twice is claimed once.
            for old in dict.fromkeys(previous):
                if isinstance(old, str) and old != entry.get("name"):
                    claims[old].append(f"{label} (previous_names)")
    return [
        f"{old!r} is claimed by [[agents]] {_entries(holders)}: one resource can move to "
        "one entry only, and not while another entry still has its name; rename it first "
        "(pulumi up), then give the name to a new entry in a later change"
        for old, holders in claims.items()
        if len(holders) > 1 and any(h.endswith("(previous_names)") for h in holders)
    ]


def _label(position: int, entry: dict[str, Any]) -> str:
    # By position too: the name may be the very thing that is missing.
    name = entry.get("name")
    return f"{position} ({name!r})" if isinstance(name, str) else str(position)


def _entries(labels: list[str], shown: int = 5) -> str:
    more = f" and {len(labels) - shown} more" if len(labels) > shown else ""
    return f"entr{'y' if len(labels) == 1 else 'ies'} {', '.join(labels[:shown])}{more}"


def _required_keys(where: str, entry: dict[str, Any]) -> list[str]:
    problems = []
    name = entry.get("name")
    examples = {
        "name": '"support"',
        "token_config": f'"{name if isinstance(name, str) else "support"}Token"',
    }
    for key, example in examples.items():
        value = entry.get(key)
        if key not in entry:
            problems.append(f"{where}: {key} is missing: add {key} = {example}")
        elif not isinstance(value, str) or not value.strip():
            problems.append(
                f"{where}: {key} must be a non-empty string, e.g. {key} = {example}, "
                f"not {_toml(value)}"
            )
        elif key == "token_config" and ":" in value:
            # pulumi.Config() reads this project's namespace: `a:b` would be looked up
            # as `quickchat-fleet:a:b`, while `pulumi config set a:b` writes namespace `a`.
            problems.append(
                f"{where}: token_config {value!r} names a config namespace: give a key of "
                f"this project without one, e.g. token_config = {example}"
            )
    return problems


def _unknown_keys(where: str, table: dict[str, Any], allowed: tuple[str, ...]) -> list[str]:
    problems = []
    for key in table:
        if key not in allowed:
            nearest = difflib.get_close_matches(key, allowed, n=1)
            hint = f"did you mean {nearest[0]!r}? " if nearest else ""
            problems.append(
                f"{where}: unknown key {key!r}: {hint}allowed here: {', '.join(allowed)}"
            )
    return problems


def _wrong_types(where: str, table: dict[str, Any]) -> list[str]:
    problems = []
    for key in ("conv_rating_active", "conv_rating_popup_active"):
        if key in table and not isinstance(table[key], bool):
            problems.append(
                f"{where}: {key} must be true or false (no quotes), not {_toml(table[key])}"
            )
    codes = table.get("conv_rating_question_codes")
    if "conv_rating_question_codes" in table and not (
        isinstance(codes, list) and all(isinstance(code, str) for code in codes)
    ):
        problems.append(
            f"{where}: conv_rating_question_codes must be a list of question codes, "
            f'e.g. ["HELPFUL_THUMBS", "EXPERIENCE_THUMBS"], not {_toml(codes)}'
        )
    return problems


def _toml(value: Any) -> str:
    """A value as it was written in the file, near enough to find it there."""
    return json.dumps(value, default=str)
