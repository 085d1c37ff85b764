"""The declaration (`_declaration.py`) is the one list of fields: every part that names a
field by hand agrees with it, so a field added there and nowhere else fails here."""

from __future__ import annotations

import dataclasses
import inspect
import re
from typing import Annotated

from pulumi_quickchat import (
    ConversationRatingConfig,
    GetConversationRatingConfigResult,
    _core,
    _declaration,
)
from pulumi_quickchat._declaration import INPUTS, LOOKUP_RESULT, OUTPUTS, Facts, fields_of

from support.configured import WITH_TOKEN


def names(fields: tuple[_declaration.Field, ...]) -> list[str]:
    return [field.name for field in fields]


def test_each_input_has_one_validator_and_check_runs_them_in_the_declared_order() -> None:
    assert list(_core.VALIDATORS) == names(INPUTS)


def test_the_dynamic_resource_takes_each_input_and_shows_each_output() -> None:
    parameters = inspect.signature(ConversationRatingConfig.__init__).parameters
    keywords = [p.name for p in parameters.values() if p.kind is p.KEYWORD_ONLY]
    assert keywords == [*names(INPUTS), "opts"]
    assert list(ConversationRatingConfig.__annotations__) == names(OUTPUTS)


def test_the_lookups_result_holds_the_declared_fields() -> None:
    fields = [field.name for field in dataclasses.fields(GetConversationRatingConfigResult)]
    assert sorted(fields) == sorted(names(LOOKUP_RESULT))


def test_an_up_records_every_output_the_schema_calls_required() -> None:
    inputs, failures = _core.check({"conv_rating_active": True}, (), WITH_TOKEN)
    assert failures == []
    recorded = _core.planned_outputs(inputs, WITH_TOKEN)
    always = [field.name for field in OUTPUTS if not field.optional]
    assert [name for name in always if recorded.get(name) is None] == []


def test_a_description_names_only_declared_fields() -> None:
    declared = {field.name for field in (*OUTPUTS, *_declaration.CONFIGURATION)}
    for field in (*OUTPUTS, *_declaration.CONFIGURATION):
        named = set(re.findall(r"\{(\w+)\}", field.facts.description))
        assert named <= declared, (field.name, named - declared)


def test_a_default_check_fills_in_is_the_settings_own_and_never_shared() -> None:
    first, _ = _core.check({"conv_rating_active": True}, (), WITH_TOKEN)
    first["conv_rating_question_codes"].append("changed")
    second, _ = _core.check({"conv_rating_active": True}, (), WITH_TOKEN)
    setting = _declaration.RatingConfiguration(True, True)
    assert second["conv_rating_question_codes"] == setting.conv_rating_question_codes
    assert setting.conv_rating_question_codes == list(_declaration.DEFAULT_QUESTION_CODES)


@dataclasses.dataclass(frozen=True)
class Scratch:
    """A declaration as a new field would write one."""

    needed: Annotated[bool, Facts("Required, with no default.", required=True)]
    maybe: Annotated[str | None, Facts("Optional, with none.")]
    flag: Annotated[bool, Facts("A plain default.")] = False
    codes: Annotated[list[str], Facts("A fresh list each time.")] = dataclasses.field(
        default_factory=lambda: ["A"]
    )


def test_a_field_reads_its_type_its_need_and_its_default_from_the_dataclass() -> None:
    needed, maybe, flag, codes = fields_of(Scratch)
    assert (needed.type, needed.optional, needed.facts.required, needed.default) == (
        bool,
        False,
        True,
        None,
    )
    assert (maybe.type, maybe.optional, maybe.default) == (str, True, None)
    assert flag.default is not None and flag.default() is False
    assert codes.default is not None and codes.default() == ["A"]
    assert codes.default() is not codes.default()
