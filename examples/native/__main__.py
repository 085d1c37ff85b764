"""Two AI Agents through the native quickchat provider, and a read of one of them.

The support agent's token is the default provider's, set once per stack:

    pulumi config set --secret quickchat:apiToken     # prompts for the token

The sales agent goes through a provider of its own, with its own token:

    pulumi config set --secret salesToken             # prompts for the token

Every provider is a plugin process of its own: for many agents, prefer one
provider and a token per resource (`api_token=`), as examples/fleet does.
"""

import pulumi

import pulumi_quickchat_native as quickchat

config = pulumi.Config()
quickchat_config = pulumi.Config("quickchat")

support = quickchat.ConversationRatingConfig("support", conv_rating_active=True)

sales_provider = quickchat.Provider(
    "sales",
    api_token=config.require_secret("salesToken"),
    # The same address as the default provider (unset: Quickchat's own).
    base_url=quickchat_config.get("baseUrl"),
)
sales = quickchat.ConversationRatingConfig(
    "sales",
    conv_rating_active=True,
    conv_rating_question_codes=["EXPERIENCE_THUMBS"],
    opts=pulumi.ResourceOptions(provider=sales_provider),
)

# What the support agent holds at Quickchat once this run has written it (one
# GET, nothing recorded; a read_all token is enough for reads alone).
now = quickchat.get_conversation_rating_config_output(
    opts=pulumi.InvokeOutputOptions(depends_on=[support])
)

pulumi.export("scenario_ids", {"support": support.scenario_id, "sales": sales.scenario_id})
pulumi.export("support_rating_on_now", now.conv_rating_active)
