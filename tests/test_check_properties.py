"""Property-based: no input, however odd, crashes check or diff.

`_core.check` and `_core.diff` are what both front ends call for Check and
Diff; here they run in-process so hypothesis can try thousands of inputs,
including the unknowns a preview sends.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pulumi_quickchat import _core, _settings
from pulumi_quickchat._api import RatingConfiguration

from support.sdk import Unknown

PROPERTIES = set(_core.INPUT_FIELDS)

leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=30),
    st.sampled_from(["HELPFUL_THUMBS", "EXPERIENCE_THUMBS", "helpful_thumbs", "https://x.y"]),
    st.builds(Unknown),
)
values = st.recursive(
    leaf,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=5), children, max_size=3)
    ),
    max_leaves=8,
)
programs = st.dictionaries(
    st.sampled_from(sorted(PROPERTIES | {"extra"})), values, max_size=len(PROPERTIES) + 1
)
# Recorded outputs also carry the agent, which drives diff's replacement branch.
recorded = st.builds(
    lambda outputs, scenario: {**outputs, "scenario_id": scenario},
    programs,
    st.one_of(st.none(), st.sampled_from(["token-5b9f1bc58ec59a7e", "scn_a"]), values),
)


@pytest.fixture(autouse=True, scope="module")
def stack_config() -> Iterator[None]:
    _settings.configure({"quickchat:apiToken": "a-token"})
    yield
    _settings.configure({})


@settings(max_examples=1500, deadline=None)
@given(programs)
def test_check_never_crashes_and_names_only_real_properties(news: dict[str, Any]) -> None:
    inputs, failures = _core.check(news)
    properties = [failure.field for failure in failures]
    assert len(properties) == len(set(properties)), "one failure per property"
    for failure in failures:
        assert failure.field in PROPERTIES
        assert not failure.reason.startswith(f"{failure.field}: ")
    has_unknowns = any(isinstance(v, Unknown) for v in _leaves(inputs))
    if not failures and not has_unknowns:
        # What passes check is something Quickchat accepts.
        RatingConfiguration.from_api({f: inputs[f] for f in _core.MANAGED_FIELDS})
        assert inputs["conv_rating_popup_active"] == inputs["conv_rating_active"]


@settings(max_examples=1500, deadline=None)
@given(recorded, programs)
def test_diff_never_crashes_and_replaces_only_for_agent_or_address(
    olds: dict[str, Any], news: dict[str, Any]
) -> None:
    result = _core.diff(olds, news)
    assert set(result.changed) <= PROPERTIES
    assert set(result.replaces) <= {"api_token", "base_url"} & set(result.changed)


def _leaves(value: Any) -> Iterator[Any]:
    if isinstance(value, dict):
        for item in value.values():
            yield from _leaves(item)
    elif isinstance(value, list):
        for item in value:
            yield from _leaves(item)
    else:
        yield value
