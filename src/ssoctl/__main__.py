"""`python -m ssoctl` runs the same CLI as the `ssoctl` console script."""

from ssoctl.cli import main

main()
