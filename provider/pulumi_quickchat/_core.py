"""The ConversationRatingConfig resource's rules and lifecycle, shared by both front ends.

The dynamic provider (`conversation_rating.py`) and the native plugin
(`_plugin/`) are thin translations of this module: they map their SDK's
requests to these functions and the results back, and decide nothing. Fields
go by their declared names (`_declaration.py`, Quickchat's snake_case); unknown
values, during a preview, are `pulumi.output.Unknown`. Every step takes the
provider's settings, resolved once when it was configured (`ProviderConfig`),
which also say how its users name each field: a message is worded once, here,
in the caller's names.

In lifecycle order: the fields, check, diff, then create, read, update and
delete, the only steps that send requests.

One token names one AI Agent, and each agent has exactly one configuration, so
the resource is a singleton per agent: `create` adopts whatever the agent has
and writes the desired state over it, and `delete` puts the agent back to
disabled defaults. Its id is the agent's `scenario_id`. docs/design.md has
the lifecycle table these functions implement, with its request counts.
"""

from __future__ import annotations

import difflib
import inspect
from collections import Counter
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from pulumi.output import Output, Unknown

from ._api import (
    MAX_TEXT_LENGTH,
    agent_key,
    base_url_problem,
    display_url,
    is_fingerprint,
    quotable,
    same_agent,
    token_problem,
)
from ._declaration import (
    INPUT_NAMES,
    INPUTS,
    QUESTION_CODES,
    SECRET_NAMES,
    SETTING_NAMES,
    RatingConfiguration,
)
from ._settings import Found, ProviderConfig, client_for
from .errors import (
    QuickchatAPIError,
    QuickchatConfigError,
    QuickchatMismatchError,
    token_settings,
)

if TYPE_CHECKING:
    from .client import QuickchatClient

Result = TypeVar("Result")

# A value not known until up; pulumi's class takes no arguments but is untyped.
UNKNOWN: Any = Unknown()  # type: ignore[no-untyped-call]


def is_unknown(value: Any) -> bool:
    """During preview, inputs computed from other resources are not known yet."""
    return isinstance(value, Unknown)


# --- check: one validator per field, before any request ------------------------------------

# Bound on what check reads, so that its work stays small whatever arrives: Quickchat
# documents two question codes (strings are bounded by MAX_TEXT_LENGTH).
MAX_QUESTION_CODES = 100


@dataclass(frozen=True)
class CheckFailure:
    """One input that cannot be used. `reason` does not repeat the field's name: the
    engine prints each failure as `property FIELD value V has a problem: REASON`
    (pulumi/pulumi `pkg/resource/deploy/step_generator.go`, `issueCheckFailures`)."""

    field: str
    reason: str


@dataclass(frozen=True)
class _Facts:
    """What a validator reads: the inputs, which of them may not be quoted (those that
    arrived secret, or every one where the front end cannot tell), and the provider's
    settings, which also say how the caller names each field."""

    inputs: Mapping[str, Any]
    hidden: frozenset[str]
    config: ProviderConfig

    def name(self, field: str) -> str:
        return self.config.name(field)


def _describe(value: Any, hidden: bool = False) -> str:
    if value is None:
        return "null"
    if isinstance(value, str):
        return f"the string {value!r}" if quotable(value, hidden) else "a string"
    if isinstance(value, bool):
        return "a boolean" if hidden else str(value).lower()
    if isinstance(value, (int, float)):
        return "a number" if hidden else f"the number {value:g}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _code_problem(code: Any, hidden: bool) -> str | None:
    if not isinstance(code, str):
        return f"each question code must be a string, got {_describe(code, hidden)}"
    if code in QUESTION_CODES:
        return None
    known = ", ".join(QUESTION_CODES)
    if len(code) > MAX_TEXT_LENGTH or not quotable(code, hidden):
        # Nor a suggestion, which would tell what the value is.
        why = "it may be secret" if hidden else "long or looks like a token"
        return f"lists an unknown question code, not shown here ({why}); known codes: {known}"
    if code.upper() in QUESTION_CODES:
        return f"unknown question code {code!r}: codes are upper case, use {code.upper()!r}"
    nearest = difflib.get_close_matches(code.upper(), QUESTION_CODES, n=1, cutoff=0.5)
    hint = f"; did you mean {nearest[0]!r}?" if nearest else ""
    return f"unknown question code {code!r} (known codes: {known}){hint}"


def _not_a_boolean(facts: _Facts, name: str) -> str | None:
    """The rule every boolean follows: given (and known), it is true or false."""
    value = facts.inputs.get(name)
    if value is None or is_unknown(value) or isinstance(value, bool):
        return None
    return f"must be true or false, got {_describe(value, name in facts.hidden)}"


def _check_conv_rating_active(facts: _Facts) -> str | None:
    if facts.inputs.get("conv_rating_active") is None:
        return "is required: true asks visitors to rate the conversation, false turns it off"
    return _not_a_boolean(facts, "conv_rating_active")


def _check_conv_rating_popup_active(facts: _Facts) -> str | None:
    if problem := _not_a_boolean(facts, "conv_rating_popup_active"):
        return problem
    popup = facts.inputs.get("conv_rating_popup_active")
    active = facts.inputs.get("conv_rating_active")
    if isinstance(popup, bool) and isinstance(active, bool) and popup != active:
        either_hidden = facts.hidden & {"conv_rating_active", "conv_rating_popup_active"}
        value = "the same value" if either_hidden else str(active).lower()
        return (
            f"must equal {facts.name('conv_rating_active')} (Quickchat requires the popup to "
            f"be on exactly when rating is on): set it to {value} or leave it out"
        )
    return None


def _check_conv_rating_question_codes(facts: _Facts) -> str | None:
    codes = facts.inputs.get("conv_rating_question_codes")
    hidden = "conv_rating_question_codes" in facts.hidden
    if is_unknown(codes):
        return None
    if isinstance(codes, str):
        example = codes if quotable(codes, hidden) else QUESTION_CODES[0]
        return f"must be a list of question codes, not a single string: write [{example!r}]"
    if not isinstance(codes, list):
        return f"must be a list of question codes, got {_describe(codes, hidden)}"
    if len(codes) > MAX_QUESTION_CODES:
        return (
            f"lists {len(codes)} question codes, more than the {MAX_QUESTION_CODES} accepted "
            f"(Quickchat knows {len(QUESTION_CODES)}: {', '.join(QUESTION_CODES)})"
        )
    for code in codes:
        if not is_unknown(code) and (problem := _code_problem(code, hidden)):
            return problem
    # Every known code is one of QUESTION_CODES by now: counting them is linear.
    counts = Counter(c for c in codes if isinstance(c, str))
    duplicates = sorted(code for code, count in counts.items() if count > 1)
    if duplicates:
        listed = "a question code" if hidden else ", ".join(duplicates)
        return f"lists {listed} more than once; list each code once"
    if not codes and facts.inputs.get("conv_rating_active") is True:
        return (
            f"is empty while {facts.name('conv_rating_active')} is true: list at least one "
            f"question ({', '.join(QUESTION_CODES)}), or leave it out for the default"
        )
    return None


def _check_api_token(facts: _Facts) -> str | None:
    token = facts.inputs.get("api_token")
    if is_unknown(token):
        return None
    if token is not None and not isinstance(token, str):
        return "must be a string holding a Quickchat API token"
    found = facts.config.find_token(facts.inputs)
    if found is None:
        return f"no Quickchat API token found: set {token_settings(facts.config.token_argument)}"
    return _token_reason(found)


def _token_reason(found: Found) -> str | None:
    if problem := token_problem(found.value):
        return f"the token{_from(found)} {problem}"  # never the value: it is a secret
    return None


def _from(found: Found) -> str:
    """Where a setting came from, where the message's field does not already say it."""
    return f" from {found.source}" if found.source else ""


def _check_base_url(facts: _Facts) -> str | None:
    base_url = facts.inputs.get("base_url")
    hidden = "base_url" in facts.hidden
    if is_unknown(base_url):
        return None
    if base_url is not None and not isinstance(base_url, str):
        return f"must be a URL string, got {_describe(base_url, hidden)}"
    found = facts.config.find_base_url(facts.inputs)
    # Quoted only where it is the resource's own, plain value: a setting from elsewhere
    # is named by its source, whose secrecy this process does not know.
    return _base_url_reason(found, facts.config, quoted=found.value == base_url and not hidden)


def _base_url_reason(found: Found, config: ProviderConfig, *, quoted: bool) -> str | None:
    """The one wording of an unusable base URL: quoted where `quoted` and fit to quote,
    else named by where it came from."""
    shown = display_url(found.value)
    quoted = quoted and len(found.value) <= MAX_TEXT_LENGTH and quotable(shown)
    problem = base_url_problem(found.value, quote=quoted, token_field=config.name("api_token"))
    if problem is None:
        return None
    return f"{repr(shown) if quoted else 'the base URL'}{_from(found)} {problem}"


VALIDATORS: dict[str, Callable[[_Facts], str | None]] = {
    "conv_rating_active": _check_conv_rating_active,
    "conv_rating_popup_active": _check_conv_rating_popup_active,
    "conv_rating_question_codes": _check_conv_rating_question_codes,
    "api_token": _check_api_token,
    "base_url": _check_base_url,
}


def with_defaults(news: Mapping[str, Any]) -> dict[str, Any]:
    """The program's inputs, completed with each declared default: the popup follows
    `conv_rating_active` (Quickchat requires the two equal), the questions default to the
    documented list. A required input stays, None if not given, for its check to name."""
    inputs = {name: news[name] for name in INPUT_NAMES if news.get(name) is not None}
    for field in INPUTS:
        facts = field.facts
        if facts.required:
            inputs[field.name] = news.get(field.name)
        elif field.name in inputs:
            continue
        elif field.default is not None:
            inputs[field.name] = field.default()
        elif facts.default_from is not None:
            source = inputs.get(facts.default_from)
            if field.accepts(source) or is_unknown(source):
                # Not a value that fails its own check: the failure belongs to that field.
                inputs[field.name] = source
    return inputs


def derived_secrets(news: Mapping[str, Any], secret: Collection[str]) -> set[str]:
    """The inputs check returns secret: those that arrived secret, and each default copied
    from one (the popup takes conv_rating_active's value when it is not given)."""
    derived = set(secret)
    for field in INPUTS:
        if field.facts.default_from in secret and news.get(field.name) is None:
            derived.add(field.name)
    return derived


def check(
    news: Mapping[str, Any], hidden: Collection[str], config: ProviderConfig
) -> tuple[dict[str, Any], list[CheckFailure]]:
    """The inputs with defaults filled in, and one failure per field that cannot be used.

    Unknown values pass through untouched: they are checked when they are
    known, at `up`. A failure about a field in `hidden` (one that arrived
    secret) names the field and the rule, never the value; nor is a value that
    looks like a token, or a long one, ever quoted. The work is linear in the
    input, and bounded: MAX_QUESTION_CODES codes, MAX_TEXT_LENGTH characters a
    string. `config` is the provider's settings, looked in after the inputs.
    """
    inputs = with_defaults(news)
    facts = _Facts(inputs, frozenset(derived_secrets(news, hidden)), config)
    failures = [
        CheckFailure(name, problem)
        for name, validate in VALIDATORS.items()
        if (problem := validate(facts))
    ]
    return inputs, failures


def check_config(
    given: Mapping[str, Any], hidden: Collection[str], config: ProviderConfig
) -> list[CheckFailure]:
    """The provider's own settings `given`, checked by the rules a resource's token and
    base URL follow, in the same words (`config` says how its users name fields)."""
    failures = []
    token, base_url = given.get("api_token"), given.get("base_url")
    # No source is named: the failure's field is the setting itself.
    if isinstance(token, str) and (reason := _token_reason(Found(token, ""))):
        failures.append(CheckFailure("api_token", reason))
    if isinstance(base_url, str):
        quoted = "base_url" not in hidden
        if reason := _base_url_reason(Found(base_url, ""), config, quoted=quoted):
            failures.append(CheckFailure("base_url", reason))
    return failures


# --- the same checks in the program, for what it gives plainly -----------------------------


class QuickchatInputError(QuickchatConfigError):
    """Inputs a program gave that check would refuse, found as the resource or lookup is
    constructed: so a unit test under `pulumi.runtime.set_mocks`, where no provider
    checks anything, sees the messages `pulumi preview` shows. A RunError, as every
    QuickchatError is, which a Pulumi program reports without a stack trace."""

    def __init__(self, what: str, failures: list[CheckFailure]) -> None:
        self.failures = failures
        # Each failure names its field here: no engine prints the property before it.
        super().__init__(f"{what}: {'; '.join(f'{f.field}: {f.reason}' for f in failures)}")


def as_known(value: Any) -> Any:
    """A program's input as check takes it: an Output or awaitable (known only at up) is
    UNKNOWN, checked by the provider once known; a plain value stays itself."""
    if isinstance(value, Output) or inspect.isawaitable(value):
        return UNKNOWN
    if isinstance(value, (list, tuple)):
        return [as_known(item) for item in value]
    return value


def refuse_known_inputs(
    what: str,
    news: Mapping[str, Any],
    config: ProviderConfig,
    fields: Collection[str] = INPUT_NAMES,
    hidden: Collection[str] = SECRET_NAMES,
) -> None:
    """Raise QuickchatInputError if check would refuse any of `fields` known now. Plain
    values in a program are not secret, so the messages quote them as check does (the
    token never, nor anything in `hidden`)."""
    known = {name: as_known(value) for name, value in news.items()}
    _, failures = check(known, hidden, config)
    failures = [failure for failure in failures if failure.field in fields]
    if failures:
        raise QuickchatInputError(what, failures)


# --- diff: no request, only what is recorded and what is wanted ----------------------------


@dataclass(frozen=True)
class Diff:
    """The fields that differ, those of them that need a new resource, and in what order."""

    changed: list[str]
    replaces: list[str]
    delete_before_replace: bool


def diff(olds: Mapping[str, Any], news: Mapping[str, Any], config: ProviderConfig) -> Diff:
    """Compare checked inputs with the outputs recorded at the last up or refresh.

    Outputs hold what Quickchat reported, so an edit made in the Dashboard
    and found by refresh shows here, and the next `up` puts it back.
    """
    # Lists compare in order: Quickchat keeps the questions in the order sent.
    changed = [f for f in SETTING_NAMES if is_unknown(news.get(f)) or news.get(f) != olds.get(f)]
    replaces: list[str] = []
    agents_known = True

    if is_unknown(news.get("base_url")):
        changed.append("base_url")  # where to is not known until up; update checks it
    else:
        wanted_url = config.address(news)
        if olds.get("base_url") is not None and wanted_url != olds["base_url"]:
            changed.append("base_url")
            replaces.append("base_url")

    new_token = news.get("api_token")
    if is_unknown(new_token):
        changed.append("api_token")  # which agent is not known until up; update checks it
    else:
        found = config.find_token(news)
        wanted_agent = agent_key(found.value) if found is not None else None
        recorded_agent = olds.get("scenario_id")
        if (
            wanted_agent is not None
            and recorded_agent is not None
            and not same_agent(wanted_agent, recorded_agent)
        ):
            replaces.append("api_token")
            # A token that is no JWT is known only by its fingerprint, so a JWT and
            # such a token may well be the same agent's.
            agents_known = not (is_fingerprint(wanted_agent) or is_fingerprint(recorded_agent))
        if new_token != olds.get("api_token") or "api_token" in replaces:
            # Same agent, new token (or the token moved to or from stack
            # config): no request, but the recorded token must follow, or
            # refresh and destroy would use the revoked one.
            changed.append("api_token")

    return Diff(
        changed,
        replaces,
        # Another agent: write the new one first, then reset the old, so a
        # failure leaves the old agent as it was. Where both may be the same
        # agent (another base URL, or tokens known only by fingerprint), reset
        # first and write last: the desired state is what remains. So too
        # where nothing here asks for a replacement but the program forces
        # one (replaceOnChanges): old and new are then the same agent.
        delete_before_replace=(
            not replaces or "base_url" in replaces or ("api_token" in replaces and not agents_known)
        ),
    )


# --- create, read, update, delete: the only steps that send requests -----------------------


def desired_configuration(inputs: Mapping[str, Any]) -> RatingConfiguration:
    """The configuration checked inputs ask for (check filled in every default)."""
    return RatingConfiguration.from_api({name: inputs[name] for name in SETTING_NAMES})


def outputs_of(
    setting: RatingConfiguration, scenario_id: str, base_url: str, inputs: Mapping[str, Any]
) -> dict[str, Any]:
    """The resource's outputs: Quickchat's values, the agent, the address, and the token
    when it was given per resource (both front ends mark it secret), so that refresh and
    destroy find it again."""
    outs: dict[str, Any] = {**setting.to_api(), "scenario_id": scenario_id, "base_url": base_url}
    if isinstance(inputs.get("api_token"), str):
        outs["api_token"] = inputs["api_token"]
    return outs


def planned_outputs(inputs: Mapping[str, Any], config: ProviderConfig) -> dict[str, Any]:
    """The outputs an up would record, worked out without a request, for a preview that
    calls create or update (the native plugin's). The agent is read from the token, so a
    preview names it; what is not known yet stays unknown."""
    outs: dict[str, Any] = {name: inputs.get(name) for name in SETTING_NAMES}
    token, base_url = inputs.get("api_token"), inputs.get("base_url")
    found = None if is_unknown(token) else config.find_token(inputs)
    outs["scenario_id"] = agent_key(found.value) if found is not None else UNKNOWN
    outs["base_url"] = base_url if is_unknown(base_url) else config.address(inputs)
    if token is not None:
        outs["api_token"] = token
    return outs


def _desired(inputs: Mapping[str, Any], config: ProviderConfig) -> RatingConfiguration:
    """The setting the inputs ask for, typed, each default filled in as check fills it in.

    Refuses, sending nothing, what check would refuse, and a guess for an input still
    unknown (a token from elsewhere, a default): the engine checks first, but a write is
    the last place to catch it. Values are not quoted: which arrived secret is not known
    here."""
    unknown = [config.name(name) for name in INPUT_NAMES if is_unknown(inputs.get(name))]
    if unknown:
        raise QuickchatConfigError(
            f"{', '.join(unknown)} still unknown when `pulumi up` came to write it: the "
            "engine could not compute the value. Nothing was sent. Check the resource or "
            "output it comes from, then run `pulumi up` again."
        )
    completed = with_defaults(inputs)
    facts = _Facts(completed, frozenset(INPUT_NAMES), config)
    sent = (*SETTING_NAMES, "base_url")
    problems = [f"{config.name(name)}: {p}" for name in sent if (p := VALIDATORS[name](facts))]
    if problems:
        raise QuickchatConfigError(f"{'; '.join(problems)}. Nothing was sent.")
    return desired_configuration(completed)


def create(inputs: Mapping[str, Any], config: ProviderConfig) -> tuple[str, dict[str, Any]]:
    """Adopt the agent the token names and write the desired state over it: one PATCH."""
    desired = _desired(inputs, config)
    client = _connect(inputs, config)
    applied = _write(client, desired, "pulumi up", config)
    return client.scenario_id, outputs_of(applied, client.scenario_id, client.base_url, inputs)


def read(
    id_: str, recorded: Mapping[str, Any], config: ProviderConfig
) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """What Quickchat has now, as outputs and as the inputs that would ask for it: one GET.

    `recorded` are the outputs of the last step, or nothing at all for an
    import, where the id alone names the agent. A 404 is an error like any
    other, never "gone": dropping the resource from state on a wrong address
    would lose it silently.
    """
    scenario_id = recorded.get("scenario_id") or id_
    live, base_url = _on_recorded_agent(
        recorded, id_, config, lambda client: (client.get_configuration(), client.base_url)
    )
    outs = outputs_of(live, scenario_id, base_url, recorded)
    # Inputs follow what Quickchat has, so a refresh leaves none stale.
    inputs = {name: outs[name] for name in (*SETTING_NAMES, "api_token") if name in outs}
    return id_ or scenario_id, outs, inputs


def update(
    id_: str, olds: Mapping[str, Any], news: Mapping[str, Any], config: ProviderConfig
) -> dict[str, Any]:
    """Write a changed setting: one PATCH; a token rotation alone sends nothing."""
    desired = _desired(news, config)
    client = _connect(news, config)
    managed = _refuse_another_agent(olds, id_, client.scenario_id, client.base_url)
    if desired.to_api() == {name: olds.get(name) for name in SETTING_NAMES}:
        applied = desired  # only the token changed (a rotation): nothing to write
    else:
        applied = _write(client, desired, "pulumi up", config)
    # The agent recorded stays, so the id and scenario_id agree after an opaque
    # token's rotation too (its fingerprint changes, the agent does not).
    return outputs_of(applied, managed, client.base_url, news)


# What `pulumi destroy` leaves behind: rating off, every other field its default.
DISABLED_DEFAULTS = desired_configuration(with_defaults({"conv_rating_active": False}))


def delete(id_: str, olds: Mapping[str, Any], config: ProviderConfig) -> None:
    """Put the agent back to disabled defaults: one PATCH.

    Any failure raises, so the resource stays in state and destroy can be run again.
    """
    _on_recorded_agent(
        olds,
        id_,
        config,
        lambda client: _write(client, DISABLED_DEFAULTS, "pulumi destroy", config),
    )


def lookup(inputs: Mapping[str, Any], config: ProviderConfig, *, argument: str) -> dict[str, Any]:
    """An agent's setting as Quickchat reports it now, for the read-only lookup: one GET,
    nothing recorded. `argument` names where the caller takes a token."""
    client = _connect(inputs, config, argument)
    live = client.get_configuration()
    return {**live.to_api(), "scenario_id": client.scenario_id, "base_url": client.base_url}


def _write(
    client: QuickchatClient, desired: RatingConfiguration, command: str, config: ProviderConfig
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
    differ = [config.name(f) for f in SETTING_NAMES if wanted[f] != held[f]]
    raise QuickchatMismatchError(differ, command)


def _on_recorded_agent(
    recorded: Mapping[str, Any],
    id_: str,
    config: ProviderConfig,
    call: Callable[[QuickchatClient], Result],
) -> Result:
    """Run `call` for refresh, import or destroy, on the agent and address state records.

    Tokens are tried in the resolution order (the recorded api_token, stack
    config, the environment), skipping any that belong to another agent, and
    moving on past one Quickchat refuses (401). A token in stack config can
    change between runs and name another agent; reading or resetting that
    agent in place of the one in state would corrupt both, so then nothing is
    sent, and QUICKCHAT_API_TOKEN can carry the old agent's token for the run.
    """
    managed = recorded.get("scenario_id") or id_
    tokens = config.require_tokens(recorded)
    usable = [t for t in tokens if same_agent(agent_key(t.value), managed)]
    if not usable:
        found = ", ".join(f"{t.source} for {agent_key(t.value)!r}" for t in tokens)
        if not recorded:
            # `pulumi import` names the agent by its id alone.
            raise QuickchatConfigError(
                f"Cannot import AI Agent {managed!r}: no API token set for this run is known "
                f"to belong to it (found: {found}). Nothing was sent. Set that agent's token "
                f"(the provider's {config.name('api_token')}, or QUICKCHAT_API_TOKEN) and run "
                "`pulumi import` again."
            )
        raise QuickchatConfigError(
            f"This resource manages AI Agent {managed!r}, but no API token set for this run "
            f"is known to belong to it (found: {found}). Nothing was sent. Give this run that "
            f"agent's token in QUICKCHAT_API_TOKEN ({READ_TOKEN_QUIETLY}) and run the command "
            "again; if the agent no longer matters, remove it from state with `pulumi state "
            "delete <urn>`."
        )
    base_url = config.find_base_url(recorded)
    for token in usable[:-1]:
        try:
            return call(_client(token, base_url, config))
        except QuickchatAPIError as error:
            if error.status != 401:
                raise
    return call(_client(usable[-1], base_url, config))


def _connect(
    inputs: Mapping[str, Any], config: ProviderConfig, argument: str | None = None
) -> QuickchatClient:
    """The client of a resource's (or the lookup's) winning token and address; an error
    naming `argument` (the resource's token by default) if no token is set."""
    token = config.require_tokens(inputs, argument)[0]
    return _client(token, config.find_base_url(inputs), config)


def _client(token: Found, base_url: Found, config: ProviderConfig) -> QuickchatClient:
    """The shared client for a token and address, each checked first by check's rules and
    in check's words (the caller's names, the value's source, nothing quoted): whatever
    their source, one that cannot be used sends nothing."""
    reasons = {"api_token": _token_reason(token)}
    reasons["base_url"] = _base_url_reason(base_url, config, quoted=False)
    problems = [f"{config.name(name)}: {reason}" for name, reason in reasons.items() if reason]
    if problems:
        raise QuickchatConfigError(f"{'; '.join(problems)}. Nothing was sent.")
    return client_for(token.value, base_url.value, config.tuning)


RUN_UP_AGAIN = "Run `pulumi up` again to replace the resource, now that this is known."
# Reads a token into the environment without echoing it or leaving it in shell history.
READ_TOKEN_QUIETLY = "`read -rs QUICKCHAT_API_TOKEN && export QUICKCHAT_API_TOKEN` reads it unseen"


def _refuse_another_agent(
    recorded: Mapping[str, Any], id_: str, scenario_id: str, base_url: str
) -> str:
    """Update cannot move a resource: diff replaces for another agent or address,
    and can miss it only where the token or base URL was unknown at preview. The
    agent the resource manages, where it may stay."""
    managed: str = recorded.get("scenario_id") or id_
    if not same_agent(managed, scenario_id):
        raise QuickchatConfigError(
            f"The API token now belongs to AI Agent {scenario_id!r}, but this resource "
            f"manages {managed!r}. Nothing was sent. {RUN_UP_AGAIN}"
        )
    if recorded.get("base_url") not in (None, base_url):
        # Neither address is quoted: either may have arrived secret.
        raise QuickchatConfigError(
            "The base URL is now another than the one this resource was managed through. "
            f"Nothing was sent. {RUN_UP_AGAIN}"
        )
    return managed
