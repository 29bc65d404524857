"""Graph features ssoctl uses that Microsoft's reference does not list for every national cloud.

Each Graph API page has a "national cloud deployments" table. Where a feature ssoctl relies on is
(or was) not marked available in a cloud, a command says so before it changes anything, so a
failure there is not a surprise half way. Sources, checked 2026:

- application-upsert (`PATCH /applications(uniqueName='…')` + `Prefer: create-if-missing`, how
  ssoctl creates and updates an app in one idempotent call): earlier versions of the page marked
  it available in the global service only (US Government L4, L5 and 21Vianet ✗); the current page
  marks all four. ssoctl warns rather than refuses: the cloud has the last word.
- applicationtemplate-list (`GET /applicationTemplates`, finding a gallery app such as Federated
  Directory): not available in China operated by 21Vianet.
"""

from __future__ import annotations

from dataclasses import dataclass

from ssoctl.config import Cloud


@dataclass(frozen=True)
class Feature:
    what: str
    clouds_without: frozenset[str]
    detail: str


APPLICATION_UPSERT = Feature(
    "the application upsert (PATCH /applications(uniqueName=…) with Prefer: create-if-missing)",
    frozenset({"usgov", "usgov-dod", "china"}),
    "Microsoft's reference listed it for the global service only until recently; if this cloud "
    "refuses it, ssoctl stops at that first request and nothing else changes",
)
GALLERY_LIST = Feature(
    "listing the Entra application gallery (GET /applicationTemplates)",
    frozenset({"china"}),
    "add the gallery app in the portal first; ssoctl then finds its enterprise app by name",
)


def cloud_notices(cloud: Cloud, features: tuple[Feature, ...]) -> list[str]:
    """One sentence per feature the reference does not list for `cloud`."""
    return [
        f"{cloud.name}: {feature.what} is not listed as available in this cloud — {feature.detail}"
        for feature in features
        if cloud.name in feature.clouds_without
    ]
