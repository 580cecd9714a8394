"""The workflow analysis on parsed YAML: triggers (YAML 1.1's `on`), untrusted checkouts, pins."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compliance_app.checks.github._workflows import triggers, unpinned_references, untrusted_checkouts
from compliance_app.providers.github_supply_chain import parse_workflow

SHA = "b4ffde65f46336ab88eb53be808477a3936bae11"


def _wf(text: str) -> dict:
    parsed = parse_workflow(".github/workflows/x.yml", text)
    assert "workflow" in parsed, parsed
    return parsed["workflow"]


@pytest.mark.parametrize(("text", "expected"), [
    ("on: push\njobs: {}", ["push"]),
    ("on: [push, pull_request_target]\njobs: {}", ["push", "pull_request_target"]),
    ("on:\n  workflow_run:\n    workflows: [CI]\n    types: [completed]\njobs: {}", ["workflow_run"]),
    ("'on': {pull_request: {branches: [main]}}\njobs: {}", ["pull_request"]),
    ("jobs: {}", []),
    ("on: 42\njobs: {}", []),
])
def test_triggers_read_the_on_key_yaml_1_1_turns_into_true(text: str, expected: list[str]) -> None:
    workflow = _wf(text)
    assert triggers(workflow) == expected


def _privileged(trigger: str, steps: str) -> dict:
    return _wf(f"on: {trigger}\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n{steps}")


CHECKOUT_HEAD = ("      - uses: actions/checkout@v4\n        with:\n"
                 "          ref: ${{{{ {expr} }}}}\n")


@pytest.mark.parametrize("expr", ["github.event.pull_request.head.sha", "github.head_ref",
                                  "github.event.pull_request.head.ref", "github.event.workflow_run.head_sha"])
def test_checkout_of_the_head_followed_by_a_script_is_found(expr: str) -> None:
    workflow = _privileged("pull_request_target", CHECKOUT_HEAD.format(expr=expr) + "      - run: make\n")
    [found] = untrusted_checkouts("w.yml", workflow)
    assert found.job == "build" and found.trigger == "pull_request_target" and expr in found.checkout


def test_workflow_run_checkout_then_local_action_is_found() -> None:
    steps = (CHECKOUT_HEAD.format(expr="github.event.workflow_run.head_branch")
             + "      - uses: ./.github/actions/build\n")
    [found] = untrusted_checkouts("w.yml", _privileged("workflow_run", steps))
    assert found.trigger == "workflow_run"


def test_pr_merge_ref_and_gh_pr_checkout_are_found() -> None:
    merge = ("      - uses: actions/checkout@v4\n        with:\n"
             "          ref: refs/pull/${{ github.event.pull_request.number }}/merge\n      - run: npm test\n")
    assert untrusted_checkouts("w.yml", _privileged("pull_request_target", merge))
    gh_cli = "      - run: gh pr checkout ${{ github.event.number }} && make\n"
    assert untrusted_checkouts("w.yml", _privileged("pull_request_target", gh_cli))
    git = ("      - run: |\n          git fetch origin ${{ github.event.pull_request.head.sha }}\n"
           "          git checkout FETCH_HEAD && ./build.sh\n")
    [found] = untrusted_checkouts("w.yml", _privileged("pull_request_target", git))
    assert found.checkout == "run: git fetches the pull request head"


@pytest.mark.parametrize("steps", [
    "      - uses: actions/labeler@v5\n",                                  # no checkout at all
    "      - uses: actions/checkout@v4\n      - run: make\n",              # the base branch, trusted
    CHECKOUT_HEAD.format(expr="github.event.pull_request.head.sha"),     # checked out, never run
    "      - run: echo ${{ github.event.pull_request.head.sha }}\n",       # mentions the head, fetches nothing
])
def test_privileged_workflows_that_do_not_run_the_head_are_fine(steps: str) -> None:
    assert untrusted_checkouts("w.yml", _privileged("pull_request_target", steps)) == []


def test_the_same_checkout_under_pull_request_is_fine() -> None:
    steps = CHECKOUT_HEAD.format(expr="github.event.pull_request.head.sha") + "      - run: make\n"
    assert untrusted_checkouts("w.yml", _privileged("pull_request", steps)) == []


def test_pins() -> None:
    workflow = _wf(f"""
on: push
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: github/codeql-action/init@v3
      - uses: ./local
      - uses: acme/internal@main
      - uses: tj-actions/changed-files@v45
      - uses: aws-actions/configure-aws-credentials@{SHA}
      - uses: Sigstore/cosign-installer@{SHA[:12]}
      - uses: docker://alpine:3.20
      - uses: docker://alpine@sha256:{"a" * 64}
      - uses: someone/no-ref
      - run: echo hi
  b:
    uses: octo/workflows/.github/workflows/r.yml@v1
""")
    found = {u["uses"]: u["why"] for u in unpinned_references(workflow, "ACME")}
    assert found == {
        "tj-actions/changed-files@v45": "pinned to 'v45', not a commit SHA",
        f"Sigstore/cosign-installer@{SHA[:12]}": f"pinned to '{SHA[:12]}', not a commit SHA",
        "docker://alpine:3.20": "docker image without a digest",
        "someone/no-ref": "no version given",
        "octo/workflows/.github/workflows/r.yml@v1": "pinned to 'v1', not a commit SHA",
    }


@pytest.mark.parametrize("text", [
    "on: push\njobs: [1, 2]",
    "on: push\njobs:\n  a: 3\n  b:\n    steps: {x: 1}\n  c:\n    steps: [1, null, {uses: 7, run: [1]}]",
    ("on: pull_request_target\njobs:\n  a:\n    steps:\n      - uses: actions/checkout@v4\n        with: 5\n"
     "      - run: x"),
    "x: &a [*a]\non: pull_request_target\njobs:\n  a: &j {steps: [{uses: actions/checkout@v4}]}\n  b: *j",
])
def test_odd_shapes_never_raise(text: str) -> None:
    workflow = _wf(text)
    assert untrusted_checkouts("w.yml", workflow) == []
    assert unpinned_references(workflow, "acme") == []


@pytest.mark.parametrize(("text", "problem"), [
    ("on: push\njobs:\n  test: [unclosed\n", "not valid YAML at line"),
    ("- just\n- a list\n", "not a YAML mapping"),
    ("", "not a YAML mapping"),
])
def test_unusable_files_name_the_file(text: str, problem: str) -> None:
    parsed = parse_workflow(".github/workflows/bad.yml", text)
    assert "workflow" not in parsed and problem in parsed["error"]
    assert ".github/workflows/bad.yml" in parsed["error"]


def test_yaml_tags_that_build_python_objects_are_refused() -> None:
    parsed = parse_workflow("w.yml", "on: !!python/object/apply:os.system ['true']\njobs: {}")
    assert "not valid YAML" in parsed["error"]


_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=40),
                     st.sampled_from(["pull_request_target", "workflow_run", "actions/checkout@v4", "./x",
                                      "${{ github.head_ref }}", "gh pr checkout 1", "docker://a", "o/r@v1"]))
_KEYS = st.one_of(st.sampled_from(["on", True, "jobs", "steps", "uses", "run", "with", "ref", "repository"]),
                  st.text(max_size=10))
_DOCUMENTS = st.recursive(_SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(_KEYS, inner, max_size=5)), max_leaves=30)


@settings(max_examples=200, deadline=None, database=None, derandomize=True)
@given(st.dictionaries(_KEYS, _DOCUMENTS, max_size=4))
def test_any_parsed_document_is_analysed_without_raising(document: dict) -> None:
    """Whatever shape a (hostile) workflow has, the analysis returns lists and never raises."""
    assert isinstance(triggers(document), list)
    assert all(c.file == "w.yml" for c in untrusted_checkouts("w.yml", document))
    assert all(set(u) == {"job", "uses", "why"} for u in unpinned_references(document, "acme"))
