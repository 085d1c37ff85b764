"""The state format: what stacks in the wild hold must keep working.

Every resource's state carries `__provider`, the provider object pickled by
reference to its class. Refresh and destroy of an old stack unpickle it with
whatever version is installed, so the class never moves.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from pulumi_quickchat import ConversationRatingConfigProvider, scenario_id_of

from support.sdk import serialized_provider

# `__provider` as pulumi-quickchat 0.1.0 wrote it into state. Never change this
# string: if this test fails, stacks deployed with 0.1.0 can no longer be
# refreshed or destroyed.
PROVIDER_0_1_0 = (
    "gASVUAAAAAAAAACMJHB1bHVtaV9xdWlja2NoYXQuY29udmVyc2F0aW9uX3JhdGluZ5SMIENvbnZlcnNhdGlvblJh"
    "dGluZ0NvbmZpZ1Byb3ZpZGVylJOUKYGULg=="
)


def _jwt(claims: object) -> str:
    def part(value: object) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part(claims)}.c2lnbmF0dXJl"


def test_the_id_of_a_token_that_is_no_jwt_never_changes() -> None:
    # The id, and scenario_id, of every resource managed with such a token: computed
    # any other way (a longer digest, another prefix), those resources would be
    # orphaned, each naming an agent no token of theirs maps to.
    assert scenario_id_of("qc_an-opaque-token") == "token-973455a468e56f0c"


@pytest.mark.parametrize("scenario", [None, ["a", "b"], {"id": 1}, True, ""])
def test_a_jwt_whose_scenario_id_is_no_id_is_known_by_its_fingerprint(scenario: object) -> None:
    # Not "None" or "['a', 'b']": two such tokens would look like one agent.
    token = _jwt({"scenario_id": scenario, "jti": "one"})
    other = _jwt({"scenario_id": scenario, "jti": "two"})
    assert scenario_id_of(token).startswith("token-")
    assert scenario_id_of(token) != scenario_id_of(other)
    assert scenario_id_of(_jwt({"scenario_id": 42})) == "42"


def run_fresh(code: str) -> str:
    """`code` in a new interpreter, with tests/ importable (for support.sdk)."""
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent)},
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_the_provider_pickles_by_reference_to_its_pinned_import_path() -> None:
    raw = base64.b64decode(serialized_provider(ConversationRatingConfigProvider()))
    assert b"pulumi_quickchat.conversation_rating" in raw
    assert b"ConversationRatingConfigProvider" in raw
    assert len(raw) < 200  # a reference, not the class's code


def test_the_provider_written_by_0_1_0_unpickles_in_a_fresh_interpreter() -> None:
    out = run_fresh(
        f"""
        import base64, dill
        provider = dill.loads(base64.b64decode({PROVIDER_0_1_0!r}))
        print(type(provider).__module__, type(provider).__name__, provider.__dict__)
        """
    )
    assert out == "pulumi_quickchat.conversation_rating ConversationRatingConfigProvider {}"


def test_serialization_is_stable_across_processes() -> None:
    assert serialized_provider(ConversationRatingConfigProvider()) == PROVIDER_0_1_0


def test_a_fleet_of_hundreds_of_resources_serializes_without_recursion_error() -> None:
    # The SDK re-wraps pickle's _batch_setitems on every serialization, so
    # pickling a provider with a non-empty __dict__ fails after ~240 resources.
    # The first program proves the hazard is real here; the second that our
    # provider, which has no instance attributes, is immune.
    hazard = run_fresh(
        """
        from pulumi.dynamic import ResourceProvider
        from support.sdk import serialize_provider

        class WithAttributes(ResourceProvider):
            def __init__(self):
                self.token = "x"

        try:
            for _ in range(600):
                serialize_provider(WithAttributes())
            print("survived")
        except RecursionError:
            print("RecursionError")
        """
    )
    assert hazard == "RecursionError"
    ours = run_fresh(
        """
        from support.sdk import serialize_provider
        from pulumi_quickchat import ConversationRatingConfigProvider

        for _ in range(1000):
            serialize_provider(ConversationRatingConfigProvider())
        print("survived")
        """
    )
    assert ours == "survived"
