"""The examples' stacks: what each example program needs, and what it should do to which agents.

Shared by the walk through the stand-in engine (tests/test_examples.py) and
the walk through the real CLI (tests/test_cli.py).
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from quickchat_emulator import AgentJson, EmulatorAdmin

from support.program import COMPUTED, Project

BOTH_CODES = ["HELPFUL_THUMBS", "EXPERIENCE_THUMBS"]
ENABLED: dict[str, Any] = {
    "conv_rating_active": True,
    "conv_rating_popup_active": True,
    "conv_rating_question_codes": BOTH_CODES,
}
DISABLED: dict[str, Any] = {
    **ENABLED,
    "conv_rating_active": False,
    "conv_rating_popup_active": False,
}


@dataclass
class ExampleStack:
    """A stack of one example: its config, and what it should do to which agents."""

    config: dict[str, str]
    secret_keys: set[str]
    # Resource name -> the agent it manages, and the configuration the program asks for.
    agents: dict[str, str]
    wanted: dict[str, dict[str, Any]]
    exports_at_preview: dict[str, Any]
    exports: dict[str, Any]
    tokens: list[str]
    # Whether each resource records its own token (a secret output) in state.
    tokens_in_state: bool = False
    # GETs each run of the program sends (a read through the provider's function).
    reads_per_run: int = 0
    # Whether the resources are the native provider's (camelCase outputs).
    native: bool = False


CAMEL = {
    "conv_rating_active": "convRatingActive",
    "conv_rating_popup_active": "convRatingPopupActive",
    "conv_rating_question_codes": "convRatingQuestionCodes",
}


def setting_of(outputs: Mapping[str, Any]) -> dict[str, Any]:
    """The three managed fields of a resource's outputs, by their snake_case names, for the
    dynamic resource's outputs and the native one's alike."""
    return {snake: outputs.get(snake, outputs.get(camel)) for snake, camel in CAMEL.items()}


def token_recorded(outputs: Mapping[str, Any]) -> bool:
    return "api_token" in outputs or "apiToken" in outputs


def basic_stack(
    project: Project, admin: EmulatorAdmin, agent: AgentJson, workdir: Path
) -> ExampleStack:
    scenario, token = agent["scenario_id"], agent["tokens"]["write_all"]
    return ExampleStack(
        config={"quickchat:apiToken": token, "quickchat:baseUrl": admin.url},
        secret_keys={"quickchat:apiToken"},
        agents={"ratings": scenario},
        wanted={"ratings": ENABLED},
        # Until up, only Quickchat can tell which agent the token names.
        exports_at_preview={"scenario_id": COMPUTED, **ENABLED},
        exports={"scenario_id": scenario, **ENABLED},
        tokens=[token],
    )


def native_stack(
    project: Project, admin: EmulatorAdmin, agent: AgentJson, workdir: Path
) -> ExampleStack:
    """Two agents: one through the default provider, one through a provider of its own."""
    sales = admin.create_agent()
    tokens = {"support": agent["tokens"]["write_all"], "sales": sales["tokens"]["write_all"]}
    scenarios = {"support": agent["scenario_id"], "sales": sales["scenario_id"]}
    return ExampleStack(
        config={
            "quickchat:apiToken": tokens["support"],
            "quickchat:baseUrl": admin.url,
            f"{project.name}:salesToken": tokens["sales"],
        },
        secret_keys={"quickchat:apiToken", f"{project.name}:salesToken"},
        agents=scenarios,
        wanted={
            "support": ENABLED,
            "sales": {**ENABLED, "conv_rating_question_codes": ["EXPERIENCE_THUMBS"]},
        },
        # The plugin reads the agent from the token, so a preview names it.
        exports_at_preview={"scenario_ids": scenarios, "support_rating_on_now": COMPUTED},
        exports={"scenario_ids": scenarios, "support_rating_on_now": True},
        tokens=list(tokens.values()),
        reads_per_run=1,
        native=True,
    )


def yaml_stack(
    project: Project, admin: EmulatorAdmin, agent: AgentJson, workdir: Path
) -> ExampleStack:
    """examples/basic's stack, in Pulumi YAML: the native plugin names the agent at preview."""
    scenario = agent["scenario_id"]
    exports = {"scenarioId": scenario, "convRatingActive": True}
    return replace(
        basic_stack(project, admin, agent, workdir),
        exports_at_preview=exports,
        exports=exports,
        native=True,
    )


# examples/fleet: the policy its data files set in [defaults].
FLEET_POLICY: dict[str, Any] = {
    "conv_rating_active": True,
    "conv_rating_question_codes": BOTH_CODES,
}


def agents_toml(defaults: Mapping[str, Any], agents: Iterable[Mapping[str, Any]]) -> str:
    """An examples/fleet data file, laid out as a person would write it.

    Each value is written as JSON, which TOML reads alike for the strings,
    booleans and lists of strings a fleet file holds.
    """

    def table(values: Mapping[str, Any]) -> str:
        return "".join(f"{key} = {json.dumps(value)}\n" for key, value in values.items())

    return "[defaults]\n" + table(defaults) + "".join(f"\n[[agents]]\n{table(a)}" for a in agents)


def edit_agents_file(
    setup: ExampleStack, edit: Callable[[list[dict[str, Any]]], list[dict[str, Any]]]
) -> None:
    """Rewrite a fleet stack's data file with its [[agents]] entries edited, as a person would."""
    path = Path(setup.config["quickchat-fleet:agentsFile"])
    document = tomllib.loads(path.read_text(encoding="utf-8"))
    path.write_text(agents_toml(document["defaults"], edit(document["agents"])), encoding="utf-8")


def rename_sales(
    previous_names: list[str] | None,
) -> Callable[[list[dict[str, Any]]], list[dict[str, Any]]]:
    """An edit of the fleet's data file: "sales" renamed "sales-eu", keeping these old names."""

    def rename(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for entry in entries:
            if entry["name"] == "sales":
                entry["name"] = "sales-eu"
                if previous_names is not None:
                    entry["previous_names"] = previous_names
        return entries

    return rename


def fleet_stack(
    project: Project, admin: EmulatorAdmin, agent: AgentJson, workdir: Path
) -> ExampleStack:
    """Three agents from a data file of the stack's own, each token a secret config key."""
    agents = {"support": agent, "sales": admin.create_agent(), "archive": admin.create_agent()}
    tokens = {name: a["tokens"]["write_all"] for name, a in agents.items()}
    entries: list[dict[str, Any]] = [
        {"name": "support", "token_config": "supportToken"},
        {
            "name": "sales",
            "token_config": "salesToken",
            "conv_rating_question_codes": ["EXPERIENCE_THUMBS"],
        },
        {"name": "archive", "token_config": "archiveToken", "conv_rating_active": False},
    ]
    # Outside the program's directory, by absolute path, as another stack's fleet may be.
    agents_file = workdir / "agents.toml"
    agents_file.write_text(agents_toml(FLEET_POLICY, entries), encoding="utf-8")
    token_keys = {e["name"]: f"{project.name}:{e['token_config']}" for e in entries}
    return ExampleStack(
        config={
            f"{project.name}:agentsFile": str(agents_file),
            **{token_keys[name]: token for name, token in tokens.items()},
            "quickchat:baseUrl": admin.url,
        },
        secret_keys=set(token_keys.values()),
        agents={name: a["scenario_id"] for name, a in agents.items()},
        wanted={
            "support": ENABLED,
            "sales": {**ENABLED, "conv_rating_question_codes": ["EXPERIENCE_THUMBS"]},
            "archive": DISABLED,
        },
        exports_at_preview={"scenario_ids": dict.fromkeys(agents, COMPUTED)},
        exports={"scenario_ids": {name: a["scenario_id"] for name, a in agents.items()}},
        tokens=list(tokens.values()),
        tokens_in_state=True,
    )


# One stack per example program, by the program's directory name; `workdir` is a
# temporary directory of the stack's own, for any file its config points at.
EXAMPLE_STACKS: dict[str, Callable[[Project, EmulatorAdmin, AgentJson, Path], ExampleStack]] = {
    "basic": basic_stack,
    "fleet": fleet_stack,
    "native": native_stack,
    "yaml": yaml_stack,
}
