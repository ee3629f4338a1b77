"""What the ``coop-gateway`` commands share."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gateway.cooperatives import Cooperatives
    from gateway.settings import Settings


def cooperatives_of(settings: Settings, command: str) -> Cooperatives:
    """The co-ops the settings name; a bad co-op file ends the command with its message."""
    from gateway.cooperatives import CooperativeError, load_cooperatives

    try:
        return load_cooperatives(settings.cooperatives, settings.default_cooperative)
    except CooperativeError as error:
        sys.exit(f"{command}: {error}")
