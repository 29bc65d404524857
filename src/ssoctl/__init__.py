"""ssoctl: single sign-on between Microsoft Entra ID and SaaS portals, one reviewable command each."""

__version__ = "0.1.0"
