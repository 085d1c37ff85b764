"""What a user reads when something goes wrong, as the real Pulumi CLI prints it.

Each case runs `pulumi up` on a small program, once with the dynamic resource (a
Python program, the README's) and once with the native provider (Pulumi YAML), against
the emulator, and checks the CLI's own output: the one sentence that names the field or
the failure and the fix, no Python traceback, no token, and, from the engine's event
log, no `maybeCorrupt` where nothing was applied (the engine sets it when a provider
answers gRPC UNKNOWN: pulumi/pulumi `sdk/go/common/resource/plugin/provider_plugin.go`,
`resourceStateAndError`, and `pkg/engine/update.go`, `OnResourceStepPost`).
docs/troubleshooting.md quotes the same sentences.
"""

from __future__ import annotations

import json
import re
import sys
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from quickchat_emulator import AgentJson, EmulatorAdmin, EmulatorProcess

from support.checks import requests_sent
from support.cli import Cli, cli_env, requires_cli

pytestmark = requires_cli()

ENV = {
    # The client's real retry policy with short waits: a failure that is retried ends quickly.
    "QUICKCHAT_RETRY_BACKOFF": "0.01",
    "QUICKCHAT_READ_TIMEOUT": "2",
    # Shows the `--event-log` flag (pkg/cmd/pulumi/operations/up.go), whose summary
    # event carries `maybeCorrupt`.
    "PULUMI_DEBUG_COMMANDS": "true",
}
# A loopback port nothing listens on (port 9 is "discard", never served here).
UNREACHABLE = "http://127.0.0.1:9"
FRONT_ENDS = ("dynamic", "native")


@dataclass
class Stack:
    """One project and stack "dev" in a temporary folder, and the CLI to run in it."""

    cli: Cli
    front_end: str
    tokens: list[str]

    def write_program(self, inputs: dict[str, Any]) -> None:
        for name, text in _program(self.front_end, inputs).items():
            (self.cli.project / name).write_text(text, encoding="utf-8")

    def config(self, key: str, value: str, *, secret: bool = False) -> None:
        self.tokens += [value] if secret else []
        self.cli("config", "set", *(["--secret"] if secret else []), key, stdin=value)

    def up(self, *, ok: bool = False, command: str = "up") -> Outcome:
        events = self.cli.project / f"events-{len(self.cli.transcript)}.jsonl"
        args = [command, "--yes", "--non-interactive", f"--event-log={events}"]
        result = self.cli(*args, ok=ok)
        if ok:
            return Outcome(0, "", False, self.front_end)
        assert events.is_file(), (
            f"pulumi {command} wrote no event log:\n{result.stdout}{result.stderr}"
        )
        corrupt = any(
            json.loads(line).get("summaryEvent", {}).get("maybeCorrupt", False)
            for line in events.read_text(encoding="utf-8").splitlines()
            if line.strip()
        )
        printed = result.stdout + result.stderr
        for token in self.tokens:
            assert token not in printed, "a token appeared in the CLI's output"
        return Outcome(result.returncode, printed, corrupt, self.front_end)


@dataclass
class Outcome:
    returncode: int
    printed: str
    maybe_corrupt: bool
    front_end: str

    def failed_with(self, *sentences: str) -> None:
        """The run failed, printed each sentence, no traceback, and nothing may be corrupt."""
        assert self.returncode != 0, self.printed
        for sentence in sentences:
            assert sentence in self.printed, self.printed
        assert "Traceback" not in self.printed, self.printed
        assert not self.maybe_corrupt, f"the engine marked the run maybeCorrupt:\n{self.printed}"

    def failed_in_the_sdks_host_with(self, *sentences: str) -> None:
        """What the dynamic resource can do where a step (not check) fails: the SDK's plugin
        host (`pulumi/dynamic/__main__.py`, `_abort_with_traceback`) sends the engine the
        whole traceback as gRPC UNKNOWN; the package's sentence is its last line."""
        assert self.returncode != 0, self.printed
        last_lines = re.findall(r"pulumi_quickchat\.errors\.\w+: (.*)", self.printed)
        assert last_lines, self.printed
        for sentence in sentences:
            assert sentence in last_lines[0], self.printed

    def failed_in_a_step_with(self, *sentences: str) -> None:
        if self.front_end == "dynamic":
            self.failed_in_the_sdks_host_with(*sentences)
        else:
            self.failed_with(*sentences)


def _program(front_end: str, inputs: dict[str, Any]) -> dict[str, str]:
    """Pulumi.yaml (and __main__.py) of a one-resource project, for this environment."""
    plugin_dir = str(Path(sys.executable).parent)
    if front_end == "native":
        project = {
            "name": "messages",
            "runtime": "yaml",
            "plugins": {"providers": [{"name": "quickchat", "path": plugin_dir}]},
            "resources": {
                "ratings": {
                    "type": "quickchat:index:ConversationRatingConfig",
                    "properties": inputs,
                }
            },
        }
        return {"Pulumi.yaml": yaml.safe_dump(project)}
    snake = {
        "convRatingActive": "conv_rating_active",
        "convRatingQuestionCodes": "conv_rating_question_codes",
    }
    arguments = ", ".join(f"{snake[name]}={value!r}" for name, value in inputs.items())
    main = f"""
        import pulumi_quickchat as quickchat

        quickchat.ConversationRatingConfig("ratings", {arguments})
    """
    project = {
        "name": "messages",
        "runtime": {"name": "python", "options": {"virtualenv": sys.prefix}},
    }
    return {"Pulumi.yaml": yaml.safe_dump(project), "__main__.py": textwrap.dedent(main)}


@pytest.fixture
def make_stack(tmp_path: Path, emulator: EmulatorProcess) -> Callable[..., Stack]:
    """`make_stack(front_end, inputs, token=..., base_url=...)`: a project with one resource
    and its stack "dev" set to reach the emulator (or `base_url`) with `token`."""
    made: list[Cli] = []

    def make(
        front_end: str, inputs: dict[str, Any], token: str | None, base_url: str = emulator.url
    ) -> Stack:
        project = tmp_path / f"project-{len(made)}"
        project.mkdir()
        cli = Cli(project, cli_env(tmp_path, ENV))
        made.append(cli)
        stack = Stack(cli, front_end, [])
        stack.write_program(inputs)
        cli("login", cli.env["PULUMI_BACKEND_URL"])
        cli("stack", "init", "dev", "--secrets-provider", "passphrase")
        stack.config("quickchat:baseUrl", base_url)
        if token is not None:
            stack.config("quickchat:apiToken", token, secret=True)
        return stack

    return make


ACTIVE = {"convRatingActive": True}


def deployed(stack: Stack) -> Stack:
    """The stack after a first `up` that succeeds."""
    stack.up(ok=True)
    return stack


# The dynamic resource refuses plain values as the program constructs it, in check's
# words after the field's name; the native one's check answers the engine, which prints
# `property FIELD value V has a problem: REASON`.
DYNAMIC = "ConversationRatingConfig 'ratings': "

# What each front end prints for codes given as one string: Pulumi YAML type-checks
# against the schema before the provider sees the value.
AS_A_STRING = {
    "dynamic": f"{DYNAMIC}conv_rating_question_codes: must be a list of question codes, "
    "not a single string: write ['HELPFUL_THUMBS']",
    "native": "convRatingQuestionCodes: Cannot assign type 'string' to type 'List<string>'",
}
UNKNOWN_CODE = (
    "unknown question code 'HELPFUL_THUMB' (known codes: HELPFUL_THUMBS, EXPERIENCE_THUMBS); "
    "did you mean 'HELPFUL_THUMBS'?"
)
BEFORE_THE_REASON = {
    "unknown code": {
        "dynamic": f"{DYNAMIC}conv_rating_question_codes: ",
        "native": "value {[{HELPFUL_THUMB}]} has a problem: ",
    },
    "missing token": {"dynamic": f"{DYNAMIC}api_token: ", "native": "has a problem: "},
}


@pytest.mark.parametrize("front_end", FRONT_ENDS)
def test_cli_codes_given_as_a_string_name_the_field_and_the_list_to_write(
    front_end: str, make_stack: Any, admin: EmulatorAdmin, token: str
) -> None:
    stack = make_stack(front_end, {**ACTIVE, "convRatingQuestionCodes": "HELPFUL_THUMBS"}, token)
    requests_sent(admin)
    stack.up().failed_with(AS_A_STRING[front_end])
    assert requests_sent(admin) == []


@pytest.mark.parametrize("front_end", FRONT_ENDS)
def test_cli_an_unknown_code_names_the_known_ones_and_the_nearest(
    front_end: str, make_stack: Any, admin: EmulatorAdmin, token: str
) -> None:
    stack = make_stack(front_end, {**ACTIVE, "convRatingQuestionCodes": ["HELPFUL_THUMB"]}, token)
    requests_sent(admin)
    stack.up().failed_with(BEFORE_THE_REASON["unknown code"][front_end] + UNKNOWN_CODE)
    assert requests_sent(admin) == []


@pytest.mark.parametrize("front_end", FRONT_ENDS)
def test_cli_a_missing_token_names_where_to_set_it(
    front_end: str, make_stack: Any, admin: EmulatorAdmin
) -> None:
    stack = make_stack(front_end, ACTIVE, None)
    requests_sent(admin)
    stack.up().failed_with(
        BEFORE_THE_REASON["missing token"][front_end] + "no Quickchat API token found: set ",
        "`pulumi config set --secret quickchat:apiToken`",
    )
    assert requests_sent(admin) == []


@pytest.mark.parametrize("front_end", FRONT_ENDS)
def test_cli_a_token_switched_to_another_agent_writes_it_and_leaves_the_old_one_untouched(
    front_end: str, make_stack: Any, admin: EmulatorAdmin, agent: AgentJson, token: str
) -> None:
    # The new agent is written (the replacement's create), then the old one's reset
    # finds no token of its own: nothing is sent to it.
    stack = deployed(make_stack(front_end, ACTIVE, token))
    stack.config("quickchat:apiToken", admin.create_agent()["tokens"]["write_all"], secret=True)
    requests_sent(admin)
    stack.up().failed_in_a_step_with(
        f"This resource manages AI Agent {agent['scenario_id']!r}, but no API token set for "
        "this run is known to belong to it",
        "Nothing was sent.",
    )
    assert requests_sent(admin) == ["PATCH 200"]


@pytest.mark.parametrize("front_end", FRONT_ENDS)
def test_cli_an_expired_token_gets_quickchats_401_and_where_to_set_a_new_one(
    front_end: str, make_stack: Any, admin: EmulatorAdmin, agent: AgentJson, token: str
) -> None:
    stack = deployed(make_stack(front_end, ACTIVE, token))
    expired = admin.issue_token(agent["scenario_id"], expires_in=-60)
    stack.config("quickchat:apiToken", expired, secret=True)
    stack.write_program({"convRatingActive": False})
    requests_sent(admin)
    stack.up().failed_in_a_step_with(
        "PATCH /v1/api/conversation_ratings/configuration failed: HTTP 401 (PERMISSION_DENIED: "
        "Token has expired). The API token is invalid, expired or revoked."
    )
    assert requests_sent(admin) == ["PATCH 401"]


@pytest.mark.parametrize("front_end", FRONT_ENDS)
def test_cli_an_unreachable_base_url_names_the_setting(
    front_end: str, make_stack: Any, token: str
) -> None:
    stack = make_stack(front_end, ACTIVE, token, base_url=UNREACHABLE)
    stack.up().failed_in_a_step_with(
        "PATCH /v1/api/conversation_ratings/configuration failed: connection refused, after 5 "
        "attempts. Check the network path to Quickchat and the base URL "
        "(quickchat:baseUrl / QUICKCHAT_API_BASE_URL), then run the command again."
    )


@pytest.mark.parametrize("front_end", FRONT_ENDS)
def test_cli_quickchat_answering_503_throughout_says_try_again_later(
    front_end: str, make_stack: Any, admin: EmulatorAdmin, token: str
) -> None:
    stack = deployed(make_stack(front_end, ACTIVE, token))
    stack.write_program({"convRatingActive": False})
    admin.add_fault("status", status=503, times=100)
    requests_sent(admin)
    stack.up().failed_in_a_step_with(
        "PATCH /v1/api/conversation_ratings/configuration failed: HTTP 503 (SERVICE_UNAVAILABLE: ",
        "after 5 attempts. Quickchat is unavailable and stayed so after retries; try again later.",
    )
    assert requests_sent(admin) == ["PATCH 503"] * 5


def _lookup_program(front_end: str) -> dict[str, str]:
    """A project whose one step is the read-only lookup, its result exported."""
    if front_end == "native":
        project = {
            "name": "messages",
            "runtime": "yaml",
            "plugins": {
                "providers": [{"name": "quickchat", "path": str(Path(sys.executable).parent)}]
            },
            "variables": {
                "ratings": {
                    "fn::invoke": {"function": "quickchat:index:getConversationRatingConfig"}
                }
            },
            "outputs": {"active": "${ratings.convRatingActive}"},
        }
        return {"Pulumi.yaml": yaml.safe_dump(project)}
    main = """
        import pulumi
        import pulumi_quickchat as quickchat

        ratings = quickchat.get_conversation_rating_config()
        pulumi.export("active", ratings.conv_rating_active)
    """
    project = {
        "name": "messages",
        "runtime": {"name": "python", "options": {"virtualenv": sys.prefix}},
    }
    return {"Pulumi.yaml": yaml.safe_dump(project), "__main__.py": textwrap.dedent(main)}


@pytest.mark.parametrize("front_end", FRONT_ENDS)
def test_cli_the_lookups_401_prints_quickchats_answer_and_no_traceback(
    front_end: str, make_stack: Any, admin: EmulatorAdmin, agent: AgentJson
) -> None:
    # In a Python program the lookup runs in the program itself: its failure is a
    # pulumi.RunError, which the language host prints without a stack trace.
    stack = make_stack(front_end, ACTIVE, admin.issue_token(agent["scenario_id"], expires_in=-60))
    for name, text in _lookup_program(front_end).items():
        (stack.cli.project / name).write_text(text, encoding="utf-8")
    requests_sent(admin)
    outcome = stack.up()
    outcome.failed_with(
        "GET /v1/api/conversation_ratings/configuration failed: HTTP 401 (PERMISSION_DENIED: "
        "Token has expired). The API token is invalid, expired or revoked."
    )
    assert "Program failed with an unhandled exception" not in outcome.printed
    assert requests_sent(admin) == ["GET 401"]
