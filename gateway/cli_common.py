"""What the ``coop-gateway`` commands share."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gateway.cooperatives import Cooperative, Cooperatives
    from gateway.settings import Settings


def cooperatives_of(settings: Settings, command: str) -> Cooperatives:
    """The co-ops the settings name; a bad co-op file ends the command with its message."""
    from gateway.cooperatives import CooperativeError, load_cooperatives

    try:
        return load_cooperatives(settings.cooperatives, settings.default_cooperative)
    except CooperativeError as error:
        sys.exit(f"{command}: {error}")


def cooperative_of(
    cooperatives: Cooperatives, cooperative_id: str | None, command: str, *, sole: bool = False
) -> Cooperative:
    """The co-op ``--cooperative`` names, checked against the co-op files. None named: the
    default co-op or, with ``sole``, the only one served (several end the command)."""
    if cooperative_id is None:
        if sole and len(cooperatives.by_id) > 1:
            sys.exit(f"{command}: name the co-op with --cooperative")
        return cooperatives.default
    if cooperative_id not in cooperatives.by_id:
        served = ", ".join(cooperatives.by_id)
        sys.exit(f"{command}: no co-op {cooperative_id!r}; this gateway serves {served}")
    return cooperatives.by_id[cooperative_id]
