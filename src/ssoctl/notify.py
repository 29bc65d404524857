"""`secrets status --notify URL`: post the summary to a Slack- or Teams-style incoming webhook.

Both accept `{"text": "…"}` as JSON over HTTPS. The URL is a secret (whoever has it can post to the
channel), so it is never printed: not in output, not in errors (they say "the --notify webhook").
Only https is accepted, except plain http to a loopback host (a local relay, or a test); a URL with
`user:password@` or a port outside 1..65535 is refused before any request.
"""

from __future__ import annotations

import ipaddress
import json
import time
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from ssoctl.errors import SsoctlError, UsageError

TIMEOUT = 10.0  # seconds: a webhook answers at once or not at all


def _loopback(host: str) -> bool:
    if host.lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_webhook(url: str) -> None:
    """Bad input before any request; the message never repeats the URL."""
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname or ""
    except ValueError:
        parts, host = None, ""
    if parts is None or not host:
        raise UsageError("--notify is not a URL", hint="give the channel's incoming webhook URL (https://…)")
    if not (parts.scheme == "https" or (parts.scheme == "http" and _loopback(host))):
        raise UsageError(
            "--notify needs an https:// URL (plain http only to a loopback host)",
            hint="copy the webhook URL from the channel's incoming-webhook settings",
        )
    if "@" in parts.netloc:  # urllib would refuse it mid-run (InvalidURL), after the Graph requests
        raise UsageError(
            "--notify URL must not contain a user name or password (user:password@)",
            hint="webhooks take no login: copy the channel's incoming webhook URL again",
        )
    try:
        port = parts.port  # raises on a port that is not a number or not in 0..65535
    except ValueError:
        port = 0
    if port == 0:
        raise UsageError(
            "--notify URL has an invalid port (a number 1..65535, or none)",
            hint="copy the channel's incoming webhook URL again",
        )


def post_text(url: str, text: str) -> None:
    """POST `{"text": text}`; any failure is an error that names the webhook, never its URL."""
    body = json.dumps({"text": text}).encode("utf-8")
    request = urllib.request.Request(
        url.strip(), data=body, method="POST", headers={"Content-Type": "application/json"}
    )
    from ssoctl import verbose

    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            response.read()
            verbose.host_only("webhook", "POST", url, response.status, started=started)
    except urllib.error.HTTPError as exc:
        verbose.host_only("webhook", "POST", url, exc.code, started=started)
        raise SsoctlError(
            f"the --notify webhook refused the summary (HTTP {exc.code})",
            hint='check that the webhook still exists and accepts JSON {"text": …}',
        ) from None
    except (urllib.error.URLError, OSError) as exc:
        verbose.host_only("webhook", "POST", url, f"no answer ({type(exc).__name__})", started=started)
        reason = getattr(exc, "reason", exc)
        raise SsoctlError(
            f"could not reach the --notify webhook ({type(reason).__name__})",
            hint="check the network, or run again later (the status above is complete)",
        ) from None
