"""Apply files: validation with lines, precedence, relative stores, duplicates, shards.

These read files only (no tenant): `load_apply_file` is what `ssoctl apply` runs before anything
else, and the CLI cases check that a bad file exits 2 with every problem and no request at all.
"""

from __future__ import annotations

import json
import os
import re
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ssoctl.apply_file import ApplyFileError, load_apply_file, parse_shard
from ssoctl.cli import app
from ssoctl.errors import UsageError

PINGONE_URI = "https://sso.connect.pingidentity.com/sso/rp/callback/abc123"
EXAMPLE = Path(__file__).resolve().parent.parent / "docs" / "examples" / "apply.toml"


def write(tmp_path: Path, text: str, name: str = "sso.toml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def problems(path: Path, **kwargs: object) -> list[tuple[int | None, str]]:
    with pytest.raises(ApplyFileError) as caught:
        load_apply_file(path, env={}, **kwargs)  # type: ignore[arg-type]
    return [(p.line, p.message) for p in caught.value.problems]


def test_a_valid_file_resolves_every_registration(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        f"""
        store = "keyring"
        secret_days = 90

        [[registration]]
        portal = "emnify"

        [[registration]]
        portal = "pingone"
        name = "PingOne EU"
        redirect_uris = ["{PINGONE_URI}"]
        group_claims = "security"
        secret_days = 365
        store = "env-file:secrets/pingone-eu.env"
        """,
    )
    loaded = load_apply_file(path, env={})
    first, second = loaded.entries
    assert (first.index, first.line, first.options.portal, first.options.secret_days) == (1, 4, "emnify", 90)
    assert first.options.store == "keyring"
    assert second.line == 7
    assert second.options.name == "PingOne EU"
    assert second.options.redirect_uris == (PINGONE_URI,)
    assert second.options.group_claims == "SecurityGroup"
    assert second.options.secret_days == 365
    # relative to the file's folder, not to the working directory
    assert second.options.store == f"env-file:{tmp_path / 'secrets' / 'pingone-eu.env'}"


@pytest.mark.parametrize(
    ("body", "line", "fragment"),
    [
        (
            '[[registration]]\nportal = "emnify"\nsecretdays = 30\n',
            3,
            "unknown key 'secretdays' in [[registration]] (did you mean 'secret_days'?)",
        ),
        (
            'portl = "emnify"\n[[registration]]\nportal = "emnify"\n',
            1,
            "unknown key 'portl' at the top level (did you mean 'portal'?)",
        ),
        ('[[registration]]\nportal = "emnify"\nflavour = 1\n', 3, "known keys: portal, portal_file, name"),
        ('[[registration]]\nname = "x"\n', 1, "registration 1: portal is missing"),
        ('[[registration]]\n\nportal = "nope"\n', 3, "unknown portal 'nope'"),
        (
            '[[registration]]\nportal = "federated-directory"\ntoken_env = "FD_TOKEN_UNSET"\n',
            3,
            "the environment variable FD_TOKEN_UNSET (token_env) is not set",
        ),
        ('[[registration]]\nportal = "federated-directory"\n', 1, 'needs token_env = "VAR"'),
        ('[[registration]]\nportal = "emnify"\nscope = "all"\n', 3, "scope is only for portal"),
        (
            '[[registration]]\nportal = "emnify"\nsecret_days = "90"\n',
            3,
            "secret_days must be a whole number of days, not a string",
        ),
        (
            '[[registration]]\nportal = "emnify"\nsecret_days = 9000\n',
            3,
            "secret_days 9000 is out of range; choose 1..730",
        ),
        ('[[registration]]\nportal = "emnify"\nsecret_days = true\n', 3, "not a boolean"),
        (
            '[[registration]]\nportal = "emnify"\nredirect_uris = [1, 2]\n',
            3,
            "redirect_uris must be an array of strings",
        ),
        (
            '[[registration]]\nportal = "emnify"\nredirect_uris = ["http://example.com/cb"]\n',
            3,
            "must use https",
        ),
        (
            '[[registration]]\nportal = "emnify"\ngroup_claims = "some"\n',
            3,
            "group_claims 'some' is not known; use security or all",
        ),
        (
            '[[registration]]\nportal = "emnify"\nstore = "vault"\n',
            3,
            "registration 1: unknown store 'vault'; use one of: keyring, env-file:PATH",
        ),
        ('[[registration]]\nportal = "emnify"\nstore = "none"\n', 3, "would keep the new secret nowhere"),
        (
            '[[registration]]\nportal = "emnify"\nname = ""\n',
            3,
            "name must be a non-empty string, not an empty string",
        ),
        (
            '[[registration]]\nportal = "emnify"\ntenant = 5\n',
            3,
            "tenant must be a non-empty string, not a number",
        ),
        ('[[registration]]\nportal = "emnify"\ncloud = "mars"\n', 3, "cloud 'mars' is not known"),
        (
            '[[registration]]\nportal = "emnify"\ntoken_env = "X"\n',
            3,
            "token_env is only for portal 'federated-directory'",
        ),
        ('[[registration]]\nportal = "pingone"\n', 1, "redirect_uris is required for pingone"),
        ('[[registration]]\nportal = "emnify"\n[registration.extra]\nx = 1\n', 3, "unknown key 'extra'"),
        (
            '[[registration]]\nportal = "emnify"\nname = "x"\nname = "y"\n',
            4,
            "TOML syntax: Cannot overwrite a value",
        ),
        ('[[registration]\nportal = "emnify"\n', 1, "TOML syntax"),
        ('registration = "emnify"\n', 1, "registration must be written as [[registration]] tables"),
        ('store = "keyring"\n', None, "no [[registration]] tables: nothing to apply"),
        (
            '[[registration]]\nportal = "emnify"\nimplicit_id_tokens = "yes"\n',
            3,
            "implicit_id_tokens must be true or false, not a string",
        ),
        (
            '[[registration]]\nportal = "emnify"\n\noptional_claims = ["bogus"]\n',
            4,
            "optional claim 'bogus' is not TOKEN:CLAIM",
        ),
        (
            '[[registration]]\nportal = "generic-oidc"\nredirect_uris = ["https://a.example/cb"]\npermissions = ["User.Read"]\n',
            4,
            "permission",
        ),
        (
            '[[registration]]\nportal = "emnify"\naudience = "Everyone"\n',
            3,
            "audience 'Everyone' is not known",
        ),
        ('[[registration]]\nportal_file = "nope.toml"\n', 2, "nope.toml"),
    ],
)
def test_each_problem_names_its_line(tmp_path: Path, body: str, line: int | None, fragment: str) -> None:
    found = problems(write(tmp_path, body))
    assert len(found) == 1, found
    assert found[0][0] == line
    assert fragment in found[0][1]


def test_every_problem_is_reported_at_once_in_line_order(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        secret_dayz = 30

        [[registration]]
        portal = "emnify"
        group_claims = "everything"

        [[registration]]
        portal = "emnify"
        name = "Sales"
        secret_days = 0

        [[registration]]
        portal = "emnify"
        """,
    )
    found = problems(path)
    assert [line for line, _ in found] == [1, 5, 10]
    with pytest.raises(ApplyFileError) as caught:
        load_apply_file(path, env={})
    text = caught.value.message
    assert "3 problems" in text and f"{path}:5: registration 1: group_claims" in text


def test_a_bad_top_level_default_is_reported_where_it_is_written(tmp_path: Path) -> None:
    found = problems(write(tmp_path, 'secret_days = 0\n\n[[registration]]\nportal = "emnify"\n'))
    assert found == [(1, "registration 1: secret_days 0 is out of range; choose 1..730")]


def test_duplicate_registrations_are_refused(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        [[registration]]
        portal = "emnify"
        name = "Sales Team"

        [[registration]]
        portal = "emnify"
        name = "sales-team"

        [[registration]]
        portal = "emnify"
        name = "Sales Team"
        tenant = "fabrikam.onmicrosoft.com"
        """,
    )
    found = problems(path)
    # the same uniqueName (names slug alike) in the same tenant is one app; another tenant is fine
    assert found == [
        (
            5,
            "registration 2 is the same app as registration 1 (line 1): ssoctl-emnify-sales-team in "
            "the signed-in tenant; give one a different name",
        )
    ]


def test_a_registration_tenant_equal_to_the_environment_default_is_a_duplicate(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[[registration]]\nportal = "emnify"\n\n[[registration]]\nportal = "emnify"\ntenant = "contoso.com"\n',
    )
    load_apply_file(path, env={})  # the signed-in tenant might differ: not provably the same
    with pytest.raises(ApplyFileError) as caught:
        load_apply_file(path, env={"AZURE_TENANT_ID": "Contoso.com"})
    assert "same app as registration 1" in caught.value.problems[0].message


def test_two_registrations_writing_the_same_env_keys_are_refused(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        f"""
        store = "env-file:all.env"

        [[registration]]
        portal = "emnify"
        name = "Shared"

        [[registration]]
        portal = "pingone"
        name = "Shared"
        redirect_uris = ["{PINGONE_URI}"]
        """,
    )
    found = problems(path)
    assert found[0][0] == 7
    assert "would write the same SHARED_* keys" in found[0][1]


def test_precedence_registration_then_flag_then_file_then_environment(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        tenant = "file.example"
        cloud = "usgov"

        [[registration]]
        portal = "emnify"
        tenant = "own.example"
        cloud = "china"

        [[registration]]
        portal = "emnify"
        name = "second"
        """,
    )
    own, second = load_apply_file(path, env={"AZURE_TENANT_ID": "env.example"}).entries
    assert (own.options.tenant, own.options.cloud) == ("own.example", "china")
    assert (second.options.tenant, second.options.cloud) == ("file.example", "usgov")
    own, second = load_apply_file(path, env={}, tenant_flag="flag.example", cloud_flag="global").entries
    assert (own.options.tenant, own.options.cloud) == ("own.example", "china")
    assert (second.options.tenant, second.options.cloud) == ("flag.example", "global")
    # neither flag nor file: the environment decides later (graph_session reads AZURE_TENANT_ID)
    bare = write(tmp_path, '[[registration]]\nportal = "emnify"\n', "bare.toml")
    (only,) = load_apply_file(bare, env={"AZURE_TENANT_ID": "env.example"}).entries
    assert only.options.tenant is None and only.options.cloud is None


def test_registration_keys_override_top_level_defaults(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        portal = "emnify"
        secret_days = 30
        store = "env-file:/abs/top.env"

        [[registration]]

        [[registration]]
        name = "Other"
        secret_days = 60
        store = "env-file:~/other.env"
        """,
    )
    first, second = load_apply_file(path, env={}).entries
    assert (first.options.portal, first.options.secret_days, first.options.store) == (
        "emnify",
        30,
        "env-file:/abs/top.env",
    )
    assert second.options.secret_days == 60
    assert second.options.store == f"env-file:{os.path.expanduser('~/other.env')}"


def test_shards_split_the_file_without_overlap(tmp_path: Path) -> None:
    body = "".join(f'[[registration]]\nportal = "emnify"\nname = "app {i}"\n\n' for i in range(1, 8))
    loaded = load_apply_file(write(tmp_path, body), env={})
    shards = [[e.index for e in loaded.shard(k, 3)] for k in (1, 2, 3)]
    assert shards == [[1, 4, 7], [2, 5], [3, 6]]
    assert [e.index for e in loaded.shard(1, 1)] == list(range(1, 8))
    assert loaded.shard(8, 9) == ()


@pytest.mark.parametrize("text", ["0/2", "3/2", "2", "a/b", "1/0", "-1/2"])
def test_bad_shards_are_usage_errors(text: str) -> None:
    with pytest.raises(UsageError):
        parse_shard(text)


def test_parse_shard_accepts_k_of_n() -> None:
    assert parse_shard("2/4") == (2, 4)
    assert parse_shard(" 1 / 1 ") == (1, 1)


def test_every_register_setting_has_its_key_and_portal_files_are_relative(tmp_path: Path) -> None:
    profile = tmp_path / "profiles" / "wiki.toml"
    profile.parent.mkdir()
    result = CliRunner().invoke(app, ["portals", "show", "emnify", "--as-toml"])
    assert result.exit_code == 0, result.output
    profile.write_text(result.stdout.replace('name = "emnify"', 'name = "wiki"', 1))
    path = write(
        tmp_path,
        """
        [[registration]]
        portal = "generic-oidc"
        name = "Intranet"
        redirect_uris = ["https://intranet.example.com/cb"]
        permissions = ["Microsoft Graph/User.Read", "Microsoft Graph/Group.Read.All (application)"]
        optional_claims = ["idToken:upn"]
        audience = "AzureADMyOrg"
        implicit_id_tokens = true
        implicit_access_tokens = false
        identifier_uri = ""
        admin_consent = true

        [[registration]]
        portal_file = "profiles/wiki.toml"
        """,
    )
    first, second = load_apply_file(path, env={}).entries
    opts = first.options
    assert opts.permissions == ("Microsoft Graph/User.Read", "Microsoft Graph/Group.Read.All (application)")
    assert opts.optional_claims == ("idToken:upn",)
    assert (opts.audience, opts.implicit_id_tokens, opts.implicit_access_tokens) == (
        "AzureADMyOrg",
        True,
        False,
    )
    assert (opts.identifier_uri, opts.admin_consent) == ("", True)
    assert second.options.portal_file == profile
    assert second.unique_name == "ssoctl-wiki"


def test_the_github_actions_example_signs_in_with_oidc_and_shards_the_file() -> None:
    text = (EXAMPLE.parent / "github-actions.yml").read_text()
    assert "id-token: write" in text
    assert "azure/login" not in text.replace("No azure/login", "")
    assert "AZURE_CLIENT_SECRET" not in text  # no stored Azure secret
    assert "--shard ${{ matrix.shard }}/${{ env.SHARDS }}" in text
    assert "ssoctl apply -f sso.toml --plan" in text
    matrix = re.search(r"shard: \[([0-9, ]+)\]", text)
    assert matrix is not None
    assert len(matrix.group(1).split(",")) == int(re.search(r"SHARDS: (\d+)", text).group(1))  # type: ignore[union-attr]


def test_the_shipped_example_validates() -> None:
    loaded = load_apply_file(EXAMPLE, env={})
    assert len(loaded.entries) >= 3
    assert {e.options.portal for e in loaded.entries} >= {"emnify", "pingone"}


# -- through the CLI: exit 2, every problem, not one request ------------------------------------


def test_cli_reports_every_problem_and_exits_2_before_any_request(tmp_path: Path) -> None:
    path = write(
        tmp_path, '[[registration]]\nportal = "emnify"\nsecretdays = 1\n\n[[registration]]\nportal = "x"\n'
    )
    result = CliRunner().invoke(app, ["apply", "-f", str(path), "--sandbox", "--yes"])
    assert result.exit_code == 2, result.output
    assert f"{path}:3: registration 1: unknown key 'secretdays'" in result.stderr
    assert f"{path}:6: registration 2: unknown portal 'x'" in result.stderr
    assert not (Path(os.environ["SSOCTL_HOME"]) / "sandbox").exists()  # no tenant was even started


def test_cli_json_error_lists_the_problems(tmp_path: Path) -> None:
    path = write(tmp_path, '[[registration]]\nportal = "emnify"\nsecret_days = "x"\n')
    result = CliRunner().invoke(app, ["apply", "-f", str(path), "--sandbox", "-o", "json"])
    assert result.exit_code == 2
    error = json.loads(result.stdout)["error"]
    assert error["code"] == "invalid_apply_file"
    assert error["problems"] == [
        {"line": 3, "message": "registration 1: secret_days must be a whole number of days, not a string"}
    ]


def test_federated_directory_entries_are_provisions_with_their_own_keys(tmp_path: Path) -> None:
    body = """
        store = "env-file:creds.env"
        secret_days = 90

        [[registration]]
        portal = "federated-directory"
        token_env = "FD_TOKEN"
        scope = "all"

        [[registration]]
        portal = "federated-directory"
        token_env = "FD_TOKEN"
        tenant = "other.onmicrosoft.com"
        redirect_uris = ["https://a.example/cb"]
        scope = "some"
        """
    with pytest.raises(ApplyFileError) as caught:
        load_apply_file(write(tmp_path, body), env={"FD_TOKEN": "t0k"})
    found = [(p.line, p.message) for p in caught.value.problems]
    assert [line for line, _ in found] == [13, 14], found
    assert "redirect_uris is not used by portal 'federated-directory'" in found[0][1]
    assert "scope 'some' is not known" in found[1][1]
    good = write(
        tmp_path,
        body.replace('        redirect_uris = ["https://a.example/cb"]\n', "").replace("some", "assigned"),
    )
    entries = load_apply_file(good, env={"FD_TOKEN": "t0k"}).entries
    assert [(e.provisioned, e.token_env, e.scope, e.options.tenant) for e in entries] == [
        (True, "FD_TOKEN", "all", None),
        (True, "FD_TOKEN", "assigned", "other.onmicrosoft.com"),
    ]
    assert entries[0].options.store == f"env-file:{tmp_path / 'creds.env'}"  # the file's default store
