"""``python -m gateway``: the same as the ``coop-gateway`` command."""

from gateway.cli import main

main()
