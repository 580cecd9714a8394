"""The integration form's edit rules live in the service, where a unit test
and any other client reach them without a page."""

from __future__ import annotations

from compliance_app.services import integrations
from compliance_app.services.integrations import edit_values, form_changes
from tests.factories import actor_for, make_org, make_user

TOKEN = "ghp_SuperSecretTokenValue1234567890abcd"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
ROLE = "arn:aws:iam::123456789012:role/Audit"


def test_adding_sends_every_field_trimmed_and_secrets_even_when_blank():
    assert form_changes("github", {"name": " Main ", "token": " t ", "github_org": "acme"},
                        editing=False, aws_role=False) == {
        "name": "Main", "github_org": "acme", "base_url": "", "token": "t"}
    assert form_changes("github", {"github_org": "acme"}, editing=False, aws_role=False)["token"] == ""
    assert form_changes("aws", {"access_key_id": "AKIA", "secret_access_key": "s", "regions": ""},
                        editing=False, aws_role=False) == {
        "name": "", "regions": None, "endpoint_url": "", "access_key_id": "AKIA", "secret_access_key": "s"}


def test_editing_keeps_stored_secrets_left_blank_and_replaces_typed_ones():
    assert "token" not in form_changes("github", {"github_org": "acme", "token": "  "}, editing=True, aws_role=False)
    assert form_changes("github", {"token": "new"}, editing=True, aws_role=False)["token"] == "new"
    kept = form_changes("aws", {"role_arn": ROLE}, editing=True, aws_role=True)
    assert kept == {"name": "", "regions": None, "endpoint_url": "", "role_arn": ROLE}
    typed = form_changes("aws", {"role_arn": ROLE, "external_id": "ext-1", "access_key_id": "AKIA"},
                         editing=True, aws_role=True)
    assert typed["external_id"] == "ext-1" and typed["access_key_id"] == "AKIA"


def test_choosing_keys_instead_of_a_role_clears_the_role_only_when_editing():
    switched = form_changes("aws", {"role_arn": ROLE, "external_id": "x"}, editing=True, aws_role=False)
    assert switched["role_arn"] is None and switched["external_id"] is None
    added = form_changes("aws", {"role_arn": ROLE}, editing=False, aws_role=False)
    assert "role_arn" not in added and "external_id" not in added


def test_the_edit_form_starts_from_non_secret_settings_and_round_trips(db):
    admin = actor_for(owner := make_user())
    org = make_org(owner)
    row = integrations.add_aws_integration(admin, org.id, access_key_id="AKIAIOSFODNN7EXAMPLE",
                                           secret_access_key=AWS_SECRET, role_arn=ROLE, external_id="ext-id-42",
                                           regions="eu-west-1, us-east-1", name="Prod")
    values = edit_values(row)
    assert values == {"name": "Prod", "github_org": "", "base_url": "", "role_arn": ROLE,
                      "regions": "eu-west-1, us-east-1", "endpoint_url": ""}
    assert AWS_SECRET not in str(values) and "ext-id-42" not in str(values)
    # Saving the form unchanged keeps the stored secrets and settings.
    saved = integrations.update_integration(admin, row.id, **form_changes("aws", values, editing=True, aws_role=True))
    assert saved.config == row.config and saved.secret_hint == row.secret_hint
