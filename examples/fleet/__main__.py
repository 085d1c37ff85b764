"""Several AI Agents ask their visitors to rate the conversation, all from one stack.

Each agent is an entry of the stack config `agents`, named as you like, with
optional settings; its API token (one token = one agent) is the secret
`apiTokens.<name>`:

    pulumi config set --path 'agents[0].name' support
    pulumi config set --secret --path 'apiTokens.support' <token of the support agent>
    pulumi config set --path 'agents[1].name' sales
    pulumi config set --path 'agents[1].ratingActive' false
    pulumi config set --secret --path 'apiTokens.sales' <token of the sales agent>

The names are the resources' names: removing an entry puts that agent back to
disabled defaults at the next `pulumi up`; renaming one does the same, then
manages it anew under the new name.
"""

from typing import Any

import pulumi

import pulumi_quickchat as quickchat

config = pulumi.Config()
# The names and settings are plain config, so the program knows how many
# agents there are; the tokens stay secret, apart from them.
agents: list[dict[str, Any]] = config.require_object("agents")
tokens = config.require_secret_object("apiTokens")


def flag(value: Any) -> Any:
    # `pulumi config set --path` may store true/false as text; the resource wants a bool.
    return {"true": True, "false": False}.get(value, value) if isinstance(value, str) else value


def token_of(name: str) -> pulumi.Output[str]:
    def pick(all_tokens: dict[str, str]) -> str:
        if name not in all_tokens:
            raise ValueError(
                f"agent {name!r} has no API token: run "
                f"`pulumi config set --secret --path 'apiTokens.{name}' <token>`"
            )
        return all_tokens[name]

    return tokens.apply(pick)


scenario_ids = {}
for agent in agents:
    name = agent["name"]
    ratings = quickchat.ConversationRatingConfig(
        name,
        conv_rating_active=flag(agent.get("ratingActive", True)),
        conv_rating_question_codes=agent.get("questionCodes"),
        api_token=token_of(name),
    )
    scenario_ids[name] = ratings.scenario_id

# Which AI Agent each entry manages (read from its token), for a quick check.
pulumi.export("scenario_ids", scenario_ids)
