"""Property-based: no input, however odd, crashes check or diff.

`_core.check` and `_core.diff` are what both front ends call for Check and
Diff; here they run in-process so hypothesis can try thousands of inputs,
including the unknowns a preview sends.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from pulumi_quickchat import _core
from pulumi_quickchat._api import agent_key
from pulumi_quickchat._declaration import (
    DEFAULT_BASE_URL,
    INPUT_NAMES,
    SETTING_NAMES,
    RatingConfiguration,
)

from support.configured import WITH_TOKEN
from support.sdk import Unknown

PROPERTIES = set(INPUT_NAMES)

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


@settings(max_examples=1500, deadline=None)
@given(programs)
def test_check_never_crashes_and_names_only_real_properties(news: dict[str, Any]) -> None:
    inputs, failures = _core.check(news, (), WITH_TOKEN)
    properties = [failure.field for failure in failures]
    assert len(properties) == len(set(properties)), "one failure per property"
    for failure in failures:
        assert failure.field in PROPERTIES
        assert not failure.reason.startswith(f"{failure.field}: ")
    has_unknowns = any(isinstance(v, Unknown) for v in _leaves(inputs))
    if not failures and not has_unknowns:
        # What passes check is something Quickchat accepts.
        RatingConfiguration.from_api({f: inputs[f] for f in SETTING_NAMES})
        assert inputs["conv_rating_popup_active"] == inputs["conv_rating_active"]


@settings(max_examples=1500, deadline=None)
@given(recorded, programs)
def test_diff_never_crashes_and_replaces_only_for_agent_or_address(
    olds: dict[str, Any], news: dict[str, Any]
) -> None:
    result = _core.diff(olds, news, WITH_TOKEN)
    assert set(result.changed) <= PROPERTIES
    assert set(result.replaces) <= {"api_token", "base_url"} & set(result.changed)
    # A setting is reported exactly when the program asks for another value than the
    # one recorded, or for one not known yet.
    for name in SETTING_NAMES:
        differs = isinstance(news.get(name), Unknown) or news.get(name) != olds.get(name)
        assert (name in result.changed) == differs, name


valid_programs = st.builds(
    lambda active, codes, per_resource: {
        "conv_rating_active": active,
        "conv_rating_question_codes": codes or (["HELPFUL_THUMBS"] if active else []),
        **({"api_token": "b-token"} if per_resource else {}),
    },
    st.booleans(),
    st.permutations(["HELPFUL_THUMBS", "EXPERIENCE_THUMBS"]).flatmap(
        lambda codes: st.integers(0, 2).map(lambda n: codes[:n])
    ),
    st.booleans(),
)


@settings(max_examples=300, deadline=None)
@given(valid_programs, st.sampled_from(list(SETTING_NAMES)))
def test_diff_after_an_up_reports_nothing_and_one_edit_reports_that_edit(
    program: dict[str, Any], edited: str
) -> None:
    inputs, failures = _core.check(program, (), WITH_TOKEN)
    assert failures == []
    agent = agent_key(inputs.get("api_token", "a-token"))
    recorded = _core.outputs_of(
        _core.desired_configuration(inputs), agent, DEFAULT_BASE_URL, inputs
    )
    assert _core.diff(recorded, inputs, WITH_TOKEN) == _core.Diff(
        [], [], delete_before_replace=True
    )
    # The Dashboard changes one setting; the next up must put it back.
    drifted = {**recorded, edited: _other_than(recorded[edited])}
    assert _core.diff(drifted, inputs, WITH_TOKEN).changed == [edited]


def _other_than(value: Any) -> Any:
    if isinstance(value, bool):
        return not value
    return [c for c in ("HELPFUL_THUMBS", "EXPERIENCE_THUMBS") if c not in value] or []


def _leaves(value: Any) -> Iterator[Any]:
    if isinstance(value, dict):
        for item in value.values():
            yield from _leaves(item)
    elif isinstance(value, list):
        for item in value:
            yield from _leaves(item)
    else:
        yield value
