"""The Rocketlane calls that bring delivery back, as the handlers use them.

``handoff.adapters.ports.RocketlaneClient`` names only the project calls
that provision and update-delta need; the HTTP client has more. Until the
port grows, the delivery handlers read the runtime's client through this
narrower view, which the HTTP client and the test fakes both satisfy.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, cast

from ..runtime import Runtime

__all__ = ["DeliveryApi", "delivery_api"]

Record = dict[str, Any]


class DeliveryApi(Protocol):
    """Tasks, milestones, metrics and status posts of a Rocketlane project."""

    def list_tasks(
        self, project_id: int, *, milestones_only: bool = False
    ) -> list[Record]: ...

    def create_task(self, body: Mapping[str, Any]) -> Record: ...

    def update_task(self, task_id: int, changes: Mapping[str, Any]) -> Record: ...

    def find_task_by_reference(
        self, project_id: int, external_reference_id: str
    ) -> Record | None: ...

    def get_project_metrics(self, project_id: int) -> Record: ...

    def list_project_updates(self, project_id: int) -> list[Record]: ...


def delivery_api(rt: Runtime) -> DeliveryApi:
    """The runtime's Rocketlane client, seen through ``DeliveryApi``."""
    return cast(DeliveryApi, rt.rocketlane)
