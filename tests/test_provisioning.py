"""Pure parts of Federated Directory provisioning: the job diff, the token hash, the mapping check."""

from __future__ import annotations

from ssoctl.commands.provision import compare_mappings
from ssoctl.credentials import Secret
from ssoctl.resources import synchronization_job as job_kind
from ssoctl.resources.base import Action

SPEC = job_kind.ProvisioningSpec("Federated Directory", "https://api.federated.directory/v2", "false")
APP = job_kind.EnterpriseApp("sp-1", "app-1", "Federated Directory")
RUNNING = job_kind.JobState("job-1", "federatedDirectory", {"code": "Active"}, "Active")
SAVED = {"BaseAddress": SPEC.base_url, "SecretToken": None, "SyncAll": "false"}


def _work(steps: tuple[object, ...]) -> job_kind.JobWork:
    work = steps[1].payload  # type: ignore[attr-defined]
    assert isinstance(work, job_kind.JobWork)
    return work


def test_empty_tenant_plans_everything() -> None:
    view = job_kind.ProvisioningView(None, "template-1", None, {})
    app_step, job_step = job_kind.diff(SPEC, view, token_saved=False, record=None)
    assert app_step.action is Action.CREATE and app_step.payload == "template-1"
    assert job_step.action is Action.CREATE and job_step.needs == ("servicePrincipal",)
    assert _work((app_step, job_step)) == job_kind.JobWork(create=True, save_credentials=True, start=True)


def test_running_job_with_the_same_token_and_scope_has_nothing_to_do() -> None:
    view = job_kind.ProvisioningView(APP, None, RUNNING, SAVED)
    steps = job_kind.diff(SPEC, view, token_saved=True, record={})
    assert not any(step.has_work for step in steps)


def test_new_token_on_a_running_job_saves_but_does_not_restart() -> None:
    view = job_kind.ProvisioningView(APP, None, RUNNING, SAVED)
    steps = job_kind.diff(SPEC, view, token_saved=False, record={})
    assert _work(steps) == job_kind.JobWork(create=False, save_credentials=True, start=False)
    token_change = next(c for c in steps[1].changes if c.target == "Secret Token")
    assert token_change.action is Action.UPDATE and "token" not in (token_change.after or "").replace(
        "saved", ""
    )


def test_scope_or_url_drift_is_saved_again() -> None:
    view = job_kind.ProvisioningView(APP, None, RUNNING, {**SAVED, "SyncAll": "true"})
    steps = job_kind.diff(SPEC, view, token_saved=True, record={})
    scope = next(c for c in steps[1].changes if c.target == "Scope")
    assert scope.action is Action.UPDATE and scope.before == "all users and groups"
    assert _work(steps).save_credentials and not _work(steps).start


def test_quarantined_or_paused_job_is_started() -> None:
    for code, schedule in (("Quarantine", "Active"), ("Paused", "Paused"), ("NotRun", "Disabled")):
        job = job_kind.JobState("job-1", "federatedDirectory", {"code": code}, schedule)
        steps = job_kind.diff(
            SPEC, job_kind.ProvisioningView(APP, None, job, SAVED), token_saved=True, record={}
        )
        assert _work(steps) == job_kind.JobWork(create=False, save_credentials=False, start=True), code


def test_token_hash_is_salted_and_never_the_token() -> None:
    token = Secret("fd_example-token")
    salt = job_kind.new_salt()
    digest = job_kind.token_hash(token, salt)
    assert "fd_example-token" not in digest and digest != job_kind.token_hash(token, job_kind.new_salt())
    record = {"tokenHash": digest, "tokenSalt": salt}
    assert job_kind.same_token(token, record)
    assert not job_kind.same_token(Secret("another"), record)
    assert not job_kind.same_token(token, None)


def test_missing_mandatory_mapping_is_flagged() -> None:
    rows = compare_mappings([("displayName", "displayName"), ("surname", "name.familyName")])
    missing = [row.attribute.variable for row in rows if row.missing]
    assert missing == ["userPrincipalName"]
    by_name = {row.attribute.variable: row.target for row in rows}
    assert by_name["surName"] == "name.familyName"  # the guide's spelling matches Entra's
    assert (
        by_name["costCenter"] is None
        and not next(r for r in rows if r.attribute.variable == "costCenter").missing
    )


def test_record_stands_in_when_graph_shows_no_saved_credentials() -> None:
    view = job_kind.ProvisioningView(APP, None, RUNNING, {})
    record = {"baseUrl": SPEC.base_url, "syncAll": "false"}
    assert not any(s.has_work for s in job_kind.diff(SPEC, view, token_saved=True, record=record))
    other = {"baseUrl": "https://old.example/v2", "syncAll": "false"}
    steps = job_kind.diff(SPEC, view, token_saved=True, record=other)
    assert _work(steps).save_credentials
