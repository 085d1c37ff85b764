"""ConversationRatingConfig: an AI Agent's Conversation Rating setting, as a Pulumi resource.

The whole story of the resource, in lifecycle order: its fields, then check,
diff, create, read, update and delete, then the typed resource class that
programs import.

One token names one AI Agent, and each agent has exactly one configuration, so
the resource is a singleton per agent: `create` adopts whatever the agent has
and writes the desired state over it, and `delete` puts the agent back to
disabled defaults. Its id is the agent's `scenario_id`.

Compatibility: `pulumi_quickchat.conversation_rating.ConversationRatingConfigProvider`
is part of the state format. Every stack's state holds it (pickled by reference
in `__provider`), and refresh and destroy import it from there. It never moves
and its constructor never changes; tests/test_compatibility.py pins both.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import pulumi
import pulumi.dynamic as dynamic
from pulumi.output import Unknown

from . import settings
from .api import (
    DEFAULT_QUESTION_CODES,
    DISABLED_DEFAULTS,
    QUESTION_CODES,
    RatingConfiguration,
    agent_key,
    base_url_problem,
    display_url,
    is_fingerprint,
    normalize_base_url,
    token_problem,
)
from .errors import (
    TOKEN_SETTINGS,
    QuickchatAPIError,
    QuickchatConfigError,
    QuickchatMismatchError,
)

if TYPE_CHECKING:
    from .client import QuickchatClient

Result = TypeVar("Result")

# The fields Quickchat stores, which the resource manages.
ACTIVE = "conv_rating_active"
POPUP = "conv_rating_popup_active"
CODES = "conv_rating_question_codes"
MANAGED_FIELDS = (ACTIVE, POPUP, CODES)
# Connection inputs: which agent, reached where. Changing the agent or the
# base URL means another configuration, so those force a replacement.
API_TOKEN = "api_token"
BASE_URL = "base_url"
SCENARIO_ID = "scenario_id"


# --- check: every rule, before any request -------------------------------------------------


def _is_unknown(value: Any) -> bool:
    """During preview, inputs computed from other resources are not known yet."""
    return isinstance(value, Unknown)


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, str):
        return f"the string {value!r}"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, float)):
        return f"the number {value:g}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _code_problem(code: Any) -> str | None:
    if not isinstance(code, str):
        return f"each question code must be a string, got {_describe(code)}"
    if code in QUESTION_CODES:
        return None
    known = ", ".join(QUESTION_CODES)
    if code.upper() in QUESTION_CODES:
        return f"unknown question code {code!r}: codes are upper case, use {code.upper()!r}"
    nearest = difflib.get_close_matches(code.upper(), QUESTION_CODES, n=1, cutoff=0.5)
    hint = f"; did you mean {nearest[0]!r}?" if nearest else ""
    return f"unknown question code {code!r} (known codes: {known}){hint}"


def check_inputs(news: Mapping[str, Any]) -> tuple[dict[str, Any], list[dynamic.CheckFailure]]:
    """Validate and complete the program's inputs; one failure per property.

    Returns the inputs with defaults filled in (popup follows active, codes
    default to the documented list). Unknown values pass through untouched:
    they are checked when they are known, at `up`.
    """
    failures: list[dynamic.CheckFailure] = []

    def fail(prop: str, reason: str) -> None:
        failures.append(dynamic.CheckFailure(prop, f"{prop}: {reason}"))

    inputs: dict[str, Any] = {}

    active = news.get(ACTIVE)
    if active is None:
        fail(ACTIVE, "is required: true asks visitors to rate the conversation, false turns it off")
    elif not _is_unknown(active) and not isinstance(active, bool):
        fail(ACTIVE, f"must be true or false, got {_describe(active)}")
    inputs[ACTIVE] = active

    popup = news.get(POPUP)
    if popup is None:
        popup = active  # Quickchat requires the two to match, so follow `active`.
    elif not _is_unknown(popup) and not isinstance(popup, bool):
        fail(POPUP, f"must be true or false, got {_describe(popup)}")
    elif isinstance(active, bool) and isinstance(popup, bool) and popup != active:
        fail(
            POPUP,
            f"must equal {ACTIVE} (Quickchat requires the popup to be on exactly when "
            f"rating is on): set it to {str(active).lower()} or leave it out",
        )
    if popup is not None:
        inputs[POPUP] = popup

    codes = news.get(CODES)
    if codes is None:
        codes = list(DEFAULT_QUESTION_CODES)
    if _is_unknown(codes):
        pass
    elif not isinstance(codes, list):
        fail(CODES, f"must be a list of question codes, got {_describe(codes)}")
    else:
        problems = [p for p in (_code_problem(c) for c in codes if not _is_unknown(c)) if p]
        known = [c for c in codes if isinstance(c, str)]
        duplicates = sorted({c for c in known if known.count(c) > 1})
        if problems:
            fail(CODES, problems[0])
        elif duplicates:
            fail(CODES, f"lists {', '.join(duplicates)} more than once; list each code once")
        elif not codes and active is True:
            fail(
                CODES,
                "is empty while conv_rating_active is true: list at least one question "
                f"({', '.join(QUESTION_CODES)}), or leave it out for the default",
            )
    inputs[CODES] = codes

    token = news.get(API_TOKEN)
    if token is not None:
        inputs[API_TOKEN] = token
    if not _is_unknown(token):
        found = settings.find_token(news)
        if token is not None and not isinstance(token, str):
            fail(API_TOKEN, "must be a string holding a Quickchat API token")
        elif found is None:
            fail(API_TOKEN, f"no Quickchat API token found: set {TOKEN_SETTINGS}")
        elif problem := token_problem(found.value):
            # Never echo the value: it is a secret.
            fail(API_TOKEN, f"the token from {found.source} {problem}")

    base_url = news.get(BASE_URL)
    if base_url is not None:
        inputs[BASE_URL] = base_url
    if not _is_unknown(base_url):
        if base_url is not None and not isinstance(base_url, str):
            fail(BASE_URL, f"must be a URL string, got {_describe(base_url)}")
        else:
            found_url = settings.find_base_url(news)
            problem = base_url_problem(found_url.value)
            if problem:
                shown = display_url(found_url.value)
                fail(BASE_URL, f"{shown!r} from {found_url.source} {problem}")

    return inputs, failures


# --- diff: no request, only what is recorded and what is wanted ----------------------------


def diff_against_state(olds: Mapping[str, Any], news: Mapping[str, Any]) -> dynamic.DiffResult:
    """Compare the wanted inputs with the outputs recorded at the last up or refresh.

    Outputs hold what Quickchat reported, so an edit made in the Dashboard
    and found by refresh shows here, and the next `up` puts it back.
    """
    # Lists compare in order: Quickchat keeps the questions in the order sent.
    changed = [f for f in MANAGED_FIELDS if _is_unknown(news.get(f)) or news.get(f) != olds.get(f)]

    replaces: list[str] = []
    agents_known = True
    new_url = news.get(BASE_URL)
    if _is_unknown(new_url):
        changed.append(BASE_URL)  # where to is not known until up; update checks it
    else:
        wanted_url = normalize_base_url(settings.find_base_url(news).value)
        if olds.get(BASE_URL) is not None and wanted_url != olds[BASE_URL]:
            replaces.append(BASE_URL)

    new_token = news.get(API_TOKEN)
    if _is_unknown(new_token):
        changed.append(API_TOKEN)  # which agent is not known until up; update checks it
    else:
        found = settings.find_token(news)
        wanted_agent = agent_key(found.value) if found is not None else None
        if wanted_agent is not None and olds.get(SCENARIO_ID) not in (None, wanted_agent):
            replaces.append(API_TOKEN)
            # A token that is no JWT is known only by its fingerprint, so two
            # such tokens may well be the same agent's.
            agents_known = not (is_fingerprint(wanted_agent) or is_fingerprint(olds[SCENARIO_ID]))
        if new_token != olds.get(API_TOKEN):
            # Same agent, new token (or the token moved to or from stack
            # config): no request, but the recorded token must follow, or
            # refresh and destroy would use the revoked one.
            changed.append(API_TOKEN)

    return dynamic.DiffResult(
        changes=bool(changed or replaces),
        replaces=replaces,
        # Another agent: write the new one first, then reset the old, so a
        # failure leaves the old agent as it was. Where both may be the same
        # agent (another base URL, or tokens known only by fingerprint), reset
        # first and write last: the desired state is what remains.
        delete_before_replace=BASE_URL in replaces or (API_TOKEN in replaces and not agents_known),
    )


# --- create, read, update, delete: the only steps that send requests -----------------------


def _desired(inputs: Mapping[str, Any]) -> RatingConfiguration:
    # `inputs` have been through check, which filled in every default.
    return RatingConfiguration(inputs[ACTIVE], inputs[POPUP], tuple(inputs[CODES]))


def _outputs(
    config: RatingConfiguration, scenario_id: str, base_url: str, inputs: Mapping[str, Any]
) -> dict[str, Any]:
    outs: dict[str, Any] = {
        ACTIVE: config.conv_rating_active,
        POPUP: config.conv_rating_popup_active,
        CODES: list(config.conv_rating_question_codes),
        SCENARIO_ID: scenario_id,
        BASE_URL: base_url,
    }
    if isinstance(inputs.get(API_TOKEN), str):
        # Recorded only when given per resource, and marked secret by the
        # resource class (additional_secret_outputs), so refresh and destroy
        # can find it again.
        outs[API_TOKEN] = inputs[API_TOKEN]
    return outs


def _on_recorded_agent(
    recorded: Mapping[str, Any], id_: str, call: Callable[[QuickchatClient], Result]
) -> Result:
    """Run `call` for refresh or destroy, on the agent and address state records.

    Tokens are tried in the resolution order (the recorded api_token, stack
    config, the environment), skipping any that belong to another agent, and
    moving on past one Quickchat refuses (401). A token in stack config can
    change between runs and name another agent; reading or resetting that
    agent in place of the one in state would corrupt both, so then nothing is
    sent, and QUICKCHAT_API_TOKEN can carry the old agent's token for the run.
    """
    managed = recorded.get(SCENARIO_ID) or id_
    tokens = settings.require_tokens(recorded)
    usable = [t for t in tokens if agent_key(t.value) == managed]
    if not usable:
        found = ", ".join(f"{t.source} for {agent_key(t.value)!r}" for t in tokens)
        raise QuickchatConfigError(
            f"This resource manages AI Agent {managed!r}, but no API token set for this run "
            f"is known to belong to it (found: {found}). Nothing was sent. Give this run that "
            "agent's token, e.g. `QUICKCHAT_API_TOKEN=<token> pulumi destroy` (or refresh, or "
            "up); if the agent no longer matters, remove it from state with `pulumi state "
            "delete <urn>`."
        )
    base_url = normalize_base_url(settings.find_base_url(recorded).value)
    for token in usable[:-1]:
        try:
            return call(settings.client_for(token.value, base_url))
        except QuickchatAPIError as error:
            if error.status != 401:
                raise
    return call(settings.client_for(usable[-1].value, base_url))


def _refuse_another_agent(
    recorded: Mapping[str, Any], id_: str, scenario_id: str, base_url: str
) -> None:
    """Update cannot move a resource: diff replaces for another agent or address,
    and can miss it only where the token or base URL was unknown at preview."""
    managed = recorded.get(SCENARIO_ID) or id_
    if managed != scenario_id:
        raise QuickchatConfigError(
            f"The API token now belongs to AI Agent {scenario_id!r}, but this resource "
            f"manages {managed!r}. Nothing was sent. {RUN_UP_AGAIN}"
        )
    if recorded.get(BASE_URL) not in (None, base_url):
        raise QuickchatConfigError(
            f"The base URL is now {display_url(base_url)!r}, but this resource was managed "
            f"through {display_url(recorded[BASE_URL])!r}. Nothing was sent. {RUN_UP_AGAIN}"
        )


RUN_UP_AGAIN = "Run `pulumi up` again to replace the resource, now that this is known."


def _write(
    client: QuickchatClient, desired: RatingConfiguration, command: str
) -> RatingConfiguration:
    """PATCH the desired state, and be sure Quickchat holds it before saying so.

    An answer that contradicts the request is checked with one GET: a garbled
    answer to a change that was applied passes; a change that did not stick
    raises, so state never claims what Quickchat does not have.
    """
    answer = client.set_configuration(desired)
    if answer == desired:
        return answer
    live = client.get_configuration()
    if live == desired:
        return live
    wanted, held = desired.to_api(), live.to_api()
    raise QuickchatMismatchError([f for f in MANAGED_FIELDS if wanted[f] != held[f]], command)


class ConversationRatingConfigProvider(dynamic.ResourceProvider):
    """The dynamic provider behind ConversationRatingConfig.

    Keeps no instance attributes: Pulumi pickles this object into every
    resource's state, and the token, base URL and HTTP session must never
    travel there (nor may a fleet of hundreds of resources hit the SDK's
    pickling recursion limit, which only a non-empty `__dict__` triggers).
    """

    # Nothing secret is captured when pickling, so the serialized provider
    # need not be encrypted in state.
    serialize_as_secret_always = False

    def configure(self, req: dynamic.ConfigureRequest) -> None:
        # Unset keys come back as None, which the lookup in settings passes over.
        keys = (settings.TOKEN_CONFIG_KEY, settings.BASE_URL_CONFIG_KEY)
        settings.configure({key: req.config.get(key) for key in keys})

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> dynamic.CheckResult:
        inputs, failures = check_inputs(news)
        return dynamic.CheckResult(inputs, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> dynamic.DiffResult:
        return diff_against_state(olds, news)

    def create(self, props: dict[str, Any]) -> dynamic.CreateResult:
        to = settings.connect(props)
        applied = _write(to.client, _desired(props), "pulumi up")
        return dynamic.CreateResult(
            to.scenario_id, _outputs(applied, to.scenario_id, to.base_url, props)
        )

    def read(self, id_: str, props: dict[str, Any]) -> dynamic.ReadResult:
        # `props` are the outputs recorded by the last step. A 404 is an
        # error like any other, never "gone": dropping the resource from
        # state on a wrong address would lose it silently.
        live, base_url = _on_recorded_agent(
            props, id_, lambda client: (client.get_configuration(), client.base_url)
        )
        scenario_id = props.get(SCENARIO_ID) or id_
        outs = _outputs(live, scenario_id, base_url, props)
        # Inputs follow what Quickchat has, so a refresh leaves none stale.
        inputs = {f: outs[f] for f in MANAGED_FIELDS}
        if API_TOKEN in outs:
            inputs[API_TOKEN] = outs[API_TOKEN]
        return dynamic.ReadResult(id_ or scenario_id, outs, inputs)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> dynamic.UpdateResult:
        to = settings.connect(news)
        _refuse_another_agent(olds, id_, to.scenario_id, to.base_url)
        desired = _desired(news)
        if desired.to_api() == {f: olds.get(f) for f in MANAGED_FIELDS}:
            applied = desired  # only the token changed (a rotation): nothing to write
        else:
            applied = _write(to.client, desired, "pulumi up")
        return dynamic.UpdateResult(_outputs(applied, to.scenario_id, to.base_url, news))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        # Any failure raises, so the resource stays in state and destroy
        # can be run again.
        _on_recorded_agent(
            props, id_, lambda client: _write(client, DISABLED_DEFAULTS, "pulumi destroy")
        )


# --- the resource programs use -------------------------------------------------------------


class ConversationRatingConfig(
    dynamic.Resource, module="quickchat", name="ConversationRatingConfig"
):
    """An AI Agent's Conversation Rating setting (Dashboard: Conversations > Inbox > Feedback).

    When on, visitors are asked at the end of a conversation to rate it. The
    agent is the one the API token belongs to. Destroying the resource turns
    rating off and restores the default questions.
    """

    conv_rating_active: pulumi.Output[bool]
    """Whether visitors are asked to rate the conversation at its end."""
    conv_rating_popup_active: pulumi.Output[bool]
    """Whether a popup asks for the rating; Quickchat requires it to equal conv_rating_active."""
    conv_rating_question_codes: pulumi.Output[list[str]]
    """The questions asked, in order: HELPFUL_THUMBS, EXPERIENCE_THUMBS."""
    scenario_id: pulumi.Output[str]
    """The AI Agent managed, read from the token (a fingerprint if the token is no JWT)."""
    base_url: pulumi.Output[str]
    """The Quickchat API address used."""
    api_token: pulumi.Output[str | None]
    """The per-resource API token, if one was given (always a secret)."""

    def __init__(
        self,
        resource_name: str,
        *,
        conv_rating_active: pulumi.Input[bool],
        conv_rating_popup_active: pulumi.Input[bool] | None = None,
        conv_rating_question_codes: pulumi.Input[Sequence[pulumi.Input[str]]] | None = None,
        api_token: pulumi.Input[str] | None = None,
        base_url: pulumi.Input[str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        """
        :param resource_name: The Pulumi name of this resource.
        :param conv_rating_active: True to ask visitors to rate the conversation at its end.
        :param conv_rating_popup_active: Show the rating popup; defaults to conv_rating_active,
            which Quickchat requires it to equal.
        :param conv_rating_question_codes: Questions to ask, from HELPFUL_THUMBS and
            EXPERIENCE_THUMBS; defaults to both, in that order.
        :param api_token: A Quickchat API token with the write_all scope for this agent;
            defaults to stack config quickchat:apiToken, then QUICKCHAT_API_TOKEN. Stored as
            a secret.
        :param base_url: The Quickchat API address; defaults to quickchat:baseUrl, then
            QUICKCHAT_API_BASE_URL, then https://app.quickchat.ai.
        :param opts: Pulumi resource options.
        """
        secret_outputs = [API_TOKEN] if api_token is not None else []
        opts = pulumi.ResourceOptions.merge(
            opts, pulumi.ResourceOptions(additional_secret_outputs=secret_outputs)
        )
        props: dict[str, Any] = {
            ACTIVE: conv_rating_active,
            POPUP: conv_rating_popup_active,
            CODES: conv_rating_question_codes,
            API_TOKEN: pulumi.Output.secret(api_token) if api_token is not None else None,
            BASE_URL: base_url,
            # Outputs only: declared so they become attributes of the resource.
            SCENARIO_ID: None,
        }
        super().__init__(ConversationRatingConfigProvider(), resource_name, props, opts)
