"""Every service entry point, called by an organization's owner with hostile arguments.

The entry points are discovered the way tests/security/test_service_matrix_coverage.py does (every
public services function whose first parameter is `actor`), so a new one is fuzzed without being
listed here. Each parameter gets either a real value of the caller's organization (from that
module's ARGS, so the call gets past authorization) or a hostile one of the declared type: huge,
control-character, NUL, injection and path strings, extreme numbers and dates, ids that name
nothing. Wrong types are the surfaces' business (forms, CLI and HTTP get them in their own tests):
the services' type hints are their contract with those callers. The outcome must be a result or a
ServiceError with a message, and a refusal must leave every table as it was.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from compliance_app.services.errors import ServiceError
from tests.security.conftest import World
from tests.security.hostile.outcome import WriteGuard, run_each
from tests.security.hostile.strategies import HOSTILE_SETTINGS, for_annotation, hostile_value
from tests.security.test_service_matrix_coverage import ARGS, entry_points

#: Parameters that are not input from a person: an injected dependency and a clock for tests.
NOT_INPUT = {"gateway", "today"}
#: Real values for parameters ARGS does not know (optional filters and the like).
MORE_VALID: dict[str, Callable[[World], Any]] = {
    "question_key": lambda w: "isolation_resource_check",
    "old": lambda w: "correct horse battery staple",
    "new": lambda w: "a new long passphrase 42",
    "page": lambda w: 1,
    "page_size": lambda w: 10,
    "label": lambda w: "auditor",
    "status": lambda w: "FAIL",
    "search": lambda w: "quokka",
}
#: Entry points that open a connection to the integration's provider: given real ids they would
#: reach out to the stored (possibly public) endpoint, so they only ever get hostile ones here.
CONNECTS_OUT = {"integrations.test_integration", "integrations.test_all_integrations"}
#: Entry points that hash a password (argon2, 64 MiB, on purpose slow) get fewer examples.
FEWER_EXAMPLES = {"accounts.change_password": 5}
#: Keyword changes update_integration accepts (plus one it must refuse).
INTEGRATION_FIELDS = ["name", "token", "github_org", "base_url", "max_admins", "access_key_id",
                      "secret_access_key", "role_arn", "external_id", "regions", "endpoint_url", "owner"]


def _valid(name: str, world: World) -> Callable[[World], Any] | None:
    return ARGS.get(name) or MORE_VALID.get(name)


def _arguments(data: st.DataObject, target: str, fn: Callable[..., Any], world: World) -> dict[str, Any]:
    kwargs: dict[str, Any] = {}
    hints = typing.get_type_hints(fn)
    for param in list(inspect.signature(fn).parameters.values())[1:]:
        if param.name in NOT_INPUT:
            continue
        if param.kind is param.VAR_KEYWORD:
            keys = data.draw(st.lists(st.sampled_from(INTEGRATION_FIELDS), max_size=3, unique=True), label="changes")
            kwargs.update({key: data.draw(hostile_value, label=key) for key in keys})
            continue
        valid = None if target in CONNECTS_OUT else _valid(param.name, world)
        optional = param.default is not param.empty
        choices = ["hostile"] + (["valid"] if valid else []) + (["default"] if optional else [])
        choice = data.draw(st.sampled_from(choices), label=f"{param.name} from")
        if choice == "valid":
            kwargs[param.name] = valid(world)
        elif choice == "hostile":
            kwargs[param.name] = data.draw(for_annotation(hints.get(param.name, Any)), label=param.name)
    return kwargs


def test_every_service_entry_point_refuses_hostile_input_cleanly(world: World) -> None:
    functions = entry_points()
    owner = world.actor("admin")  # the owner of organization A: authorization lets the input through

    def check(target: str) -> None:
        fn = functions[target]

        guard = WriteGuard()

        @settings(HOSTILE_SETTINGS, max_examples=FEWER_EXAMPLES.get(target, HOSTILE_SETTINGS.max_examples))
        @given(data=st.data())
        def call(data: st.DataObject) -> None:
            kwargs = _arguments(data, target, fn, world)
            guard.before()
            try:
                fn(owner, **kwargs)
            except ServiceError as exc:
                assert str(exc).strip(), f"{type(exc).__name__} without a message"
                assert "Traceback" not in str(exc)
                assert not guard.refused(), "a refused call wrote to the database"
            else:
                guard.succeeded()

        call()

    problems = run_each(sorted(functions), check)
    assert not problems, "\n".join(problems)
