"""examples/fleet through the native provider: benchmarks/real_engine.py's native program.

The same data file (examples/fleet/agents_file.py, copied beside this program by
the benchmark), the same secret token per agent in stack config, the same
resource names and settings; each resource is the native
`quickchat:index:ConversationRatingConfig`, served by one `pulumi-resource-quickchat`
for the whole fleet. It leaves out the fleet's friendlier checks (a missing or
plain-text token, two entries with one agent's token), which send nothing.
"""

from pathlib import Path

import agents_file
import pulumi

import pulumi_quickchat_native as quickchat

config = pulumi.Config()
fleet = agents_file.load(Path(__file__).resolve().parent / config.get("agentsFile", "agents.toml"))

scenario_ids: dict[str, pulumi.Output[str]] = {}
for agent in fleet:
    ratings = quickchat.ConversationRatingConfig(
        agent.name, **agent.settings, api_token=config.require_secret(agent.token_config)
    )
    scenario_ids[agent.name] = ratings.scenario_id

pulumi.export("scenario_ids", scenario_ids)
