"""One AI Agent asks its visitors to rate the conversation, with a popup and both questions.

The agent is the one the API token belongs to: set it once per stack with
`pulumi config set --secret quickchat:apiToken`, which prompts for it.
"""

import pulumi

import pulumi_quickchat as quickchat

config = pulumi.Config()

ratings = quickchat.ConversationRatingConfig(
    "ratings",
    conv_rating_active=config.get_bool("ratingActive", True),
    conv_rating_question_codes=config.get_object(
        "questionCodes", ["HELPFUL_THUMBS", "EXPERIENCE_THUMBS"]
    ),
)

pulumi.export("scenario_id", ratings.scenario_id)
pulumi.export("conv_rating_active", ratings.conv_rating_active)
pulumi.export("conv_rating_popup_active", ratings.conv_rating_popup_active)
pulumi.export("conv_rating_question_codes", ratings.conv_rating_question_codes)
