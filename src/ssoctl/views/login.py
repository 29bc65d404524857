"""What `ssoctl login` shows: the device code (on stderr, alone on its line, easy to copy) and the result."""

from __future__ import annotations

from rich.markup import escape

from ssoctl.commands.login import LoginResult
from ssoctl.views.console import Consoles


class LoginConsole:
    """LoginUI on the terminal's stderr (stdout stays for the result or JSON)."""

    def __init__(self, consoles: Consoles) -> None:
        self.consoles = consoles

    def device_code(self, url: str, code: str) -> None:
        err = self.consoles.err()
        err.print(f"To sign in, open [bold]{escape(url)}[/] in a browser on any device and enter the code:")
        err.print(f"\n    [bold]{escape(code)}[/]\n")
        err.print("Waiting for you to finish signing in there (Ctrl-C cancels)…")

    def warn(self, text: str) -> None:
        self.consoles.err().print(f"[yellow]warning:[/] {escape(text)}")


def render_login(result: LoginResult, consoles: Consoles, *, as_json: bool) -> None:
    expires = result.expires.strftime("%Y-%m-%dT%H:%M:%SZ") if result.expires else None
    if as_json:
        from ssoctl.views.json_view import dump

        doc = {
            "account": result.account,
            "tenantId": result.tenant_id,
            "cloud": result.cloud.name,
            "method": result.method,
            "tokenCache": result.cache,
            "tokenExpires": expires,
        }
        dump(doc, consoles.out_stream)
        return
    out = consoles.out()
    out.print(
        f"Signed in as [bold]{escape(result.account)}[/] to tenant {escape(result.tenant_id)} ({result.cloud.name})."
    )
    where = {
        "encrypted": "encrypted by the OS",
        "plaintext": "in a plain 0600 file",
        "azure-cli": "by the Azure CLI",
    }
    out.print(
        f"Token cache: {where.get(result.cache, result.cache)}. Check what you may do: [bold]ssoctl whoami[/]"
    )
