"""`--sandbox` with `--store pingone` / `--store okta`: a fake portal started for one command.

No account anywhere: the fake PingOne (or Okta) runs on 127.0.0.1 inside this process, with a
worker secret (API token) made up for this run and never written down. Its identity providers and
their salted secret hashes live in `SSOCTL_HOME/sandbox/` (0600), so a re-run finds what the
last one made, exactly as against the real portal. `SSOCTL_SANDBOX_PORTAL_FAULTS` makes the fake
fail on purpose (`PortalFaults`), as `SSOCTL_SANDBOX_FAULTS` does the Graph sandbox.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path

from ssoctl.sandbox.portal_fakes import FakeOkta, FakePingOne, PortalFaults
from ssoctl.stores.portal_api import OktaStore, PingOneStore, ProviderOptions

SANDBOX_PINGONE_ENV = "5a4d0b1e-5b0c-4c3e-9d6a-5a4d0b1e0001"  # the sandbox's one PingOne environment


def sandbox_pingone(options: ProviderOptions, home: Path, env: Mapping[str, str]) -> tuple[PingOneStore, str]:
    fake = FakePingOne(env_id=options.pingone_env or SANDBOX_PINGONE_ENV, faults=PortalFaults.from_env(env))
    fake.keep_state_in(home / "sandbox" / "pingone.json").start()
    settings = dataclasses.replace(
        options, pingone_env=fake.env_id, pingone_api_url=fake.api_url, pingone_auth_url=fake.auth_url
    )
    store = PingOneStore(settings, {}, worker=(fake.client_id, fake.client_secret), on_close=fake.stop)
    return (
        store,
        f"sandbox PingOne environment {fake.env_id} on {fake.url} (a local fake; no PingOne account needed)",
    )


def sandbox_okta(options: ProviderOptions, home: Path, env: Mapping[str, str]) -> tuple[OktaStore, str]:
    fake = FakeOkta(faults=PortalFaults.from_env(env))
    fake.keep_state_in(home / "sandbox" / "okta.json").start()
    org = options.okta_org or "https://sandbox.okta.example"
    store = OktaStore(
        dataclasses.replace(options, okta_org=org),
        {"OKTA_API_TOKEN": fake.token},
        api_base=fake.url,
        on_close=fake.stop,
    )
    return store, f"sandbox Okta org {org} served on {fake.url} (a local fake; no Okta account needed)"
