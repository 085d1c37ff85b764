"""Many AI Agents ask their visitors to rate the conversation, all from one stack and one file.

The agents are listed in a data file, `agents.toml` beside this program unless
the stack config `agentsFile` names another (so staging and production can
hold different fleets): for each, the resource's name, the stack config key
that holds its API token, and whatever differs from the file's `[defaults]`.
Each token (one token = one agent) is a secret in stack config:

    pulumi config set --secret supportToken      # prompts for the token

The names are the resources' names: removing an entry puts that agent back to
disabled defaults at the next `pulumi up`. To rename one, list its old name in
the entry's `previous_names`: the resource moves to the new name. A new name
alone would create a resource anew and then reset the agent through the old
one, leaving rating off.
"""

from pathlib import Path

import agents_file
import pulumi

import pulumi_quickchat as quickchat

config = pulumi.Config()
# Relative to this program's directory, wherever it is run from; an absolute path
# is taken as it is.
fleet = agents_file.load(Path(__file__).resolve().parent / config.get("agentsFile", "agents.toml"))

# Every token is looked up before any resource is declared, so a missing one
# stops the run before anything is sent, and all the problems are named at once.
tokens: dict[str, pulumi.Output[str]] = {}
problems: list[str] = []
for agent in fleet:
    token = config.get_secret(agent.token_config)
    set_secret = f"`pulumi config set --secret {agent.token_config}` (it prompts for the token)"
    if token is None:
        problems.append(
            f"agent {agent.name!r} has no API token in stack {pulumi.get_stack()!r}: "
            f"run {set_secret}"
        )
    elif not pulumi.runtime.is_config_secret(f"{pulumi.get_project()}:{agent.token_config}"):
        # Set without --secret, the token sits in plain text in Pulumi.<stack>.yaml,
        # a file that is usually committed.
        problems.append(
            f"agent {agent.name!r}: its API token is stored in plain text in "
            f"Pulumi.{pulumi.get_stack()}.yaml: run {set_secret} to encrypt it"
        )
    else:
        tokens[agent.name] = token
if problems:
    raise pulumi.RunError("\n".join(problems))

token_config_of = {agent.name: agent.token_config for agent in fleet}


def one_agent_per_token(by_entry: dict[str, str]) -> dict[str, str]:
    """The tokens, once no two of them are of the same agent.

    Two entries whose tokens name one agent would overwrite each other's
    setting, and removing either would reset the other's: a token pasted under
    two keys is an easy slip with many agents. Every resource's registration
    waits for this check, so a failure stops the run before anything is sent.
    """
    entries_of: dict[str, list[str]] = {}
    for name, token in by_entry.items():
        entries_of.setdefault(quickchat.scenario_id_of(token), []).append(name)
    shared = [
        f"agents {' and '.join(map(repr, names))} have API tokens of one AI Agent ({agent}): "
        "give each its own agent's token with "
        + " or ".join(f"`pulumi config set --secret {token_config_of[n]}`" for n in names)
        for agent, names in entries_of.items()
        if len(names) > 1
    ]
    if shared:
        raise pulumi.RunError("\n".join(shared))
    return by_entry


checked_tokens = pulumi.Output.all(**tokens).apply(one_agent_per_token)

scenario_ids: dict[str, pulumi.Output[str]] = {}
for agent in fleet:
    ratings = quickchat.ConversationRatingConfig(
        agent.name,
        **agent.settings,
        # Given per resource, the token is kept in this resource's state (encrypted), where
        # refresh and destroy find it, whatever the stack config holds by then.
        api_token=checked_tokens[agent.name],
        opts=pulumi.ResourceOptions(aliases=[pulumi.Alias(name=n) for n in agent.previous_names]),
    )
    scenario_ids[agent.name] = ratings.scenario_id

# Which AI Agent each entry manages (read from its token), for a quick check.
pulumi.export("scenario_ids", scenario_ids)
