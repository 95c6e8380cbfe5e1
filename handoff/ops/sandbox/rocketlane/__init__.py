"""A faithful, in-memory sandbox of Rocketlane's public REST API (v1.0).

``build_app(workspace=None, *, config=None)`` returns a Starlette app that
serves the API under ``/api/1.0/`` (see shared/reference/rocketlane-api.md
§18): ``api-key`` authentication, the ``errors[]`` envelope, sparse field
sets with ``includeFields``/``includeAllFields``, ``field.op`` filters,
``{data, pagination}`` paging with expiring tokens and an absolute
``nextPage``, per-key rate limits with ``X-Retry-After`` in epoch
milliseconds, webhooks (a template build announces each phase and task it
creates), injected faults, and counts of the calls it answered.
``seed_default(workspace)`` seeds users, companies, templates 1001-1003 and
rate cards.

Admin endpoints
---------------

Reserved under ``/__sandbox/``; they take and return JSON and need no key.

==========================  ====================================================
``POST /__sandbox/reset``   Back to the start: records (re-seeded unless
                            ``{"seed": false}``), rate-limit windows, page
                            tokens, faults and webhooks as configured,
                            call counts at zero.
``GET /__sandbox/state``    Every stored record, active faults and webhooks,
                            and the call counts of ``/stats``.
``GET /__sandbox/stats``    API calls answered since the start or the last
                            reset: ``requests`` (all), ``rateLimited``
                            (429s), ``served`` (all but 429s), ``writes``
                            (served calls that may change state),
                            ``dropped``, ``byStatus`` and ``byOperation``
                            (keyed by fault operation, e.g.
                            "projects.create").
``DELETE /__sandbox/stats`` Count from zero again; answers the counts before.
``POST /__sandbox/users``   Seed users (object or list): ``email``,
                            ``firstName``, ``lastName``, ``type``, ``role``,
                            ``hourlyCostRate``, ``hourlyBillRate``.
``POST /__sandbox/companies``      Seed companies: ``companyName``,
                            ``companyType`` (CUSTOMER or VENDOR).
``POST /__sandbox/templates``      Seed templates: ``templateId``,
                            ``templateName``, ``placeholderRoles[]``,
                            ``phases[{phaseName, startOffsetDays,
                            durationDays, tasks[{taskName, startOffsetDays,
                            durationDays, effortInMinutes, type, role}]}]``.
``POST /__sandbox/rate-cards``     Seed rate cards: ``rateCardId``,
                            ``rateCardName``, ``currency``,
                            ``rates{roleName: {billRate, costRate}}``.
``POST /__sandbox/project-updates``  Seed status posts: ``projectId``,
                            ``title``, ``status`` (1-5), ``content``.
``POST /__sandbox/allocations``    Seed allocations: ``projectId``,
                            ``startDate``, ``endDate``, ``minutesPerDay``,
                            ``allocationType``, ``member{emailId}``.
``GET/POST/DELETE /__sandbox/webhooks``  List, add (``url``, ``name``,
                            ``events[]``, ``username``, ``password``) or
                            remove every webhook.
``GET /__sandbox/deliveries``      Attempted webhook deliveries with their
                            envelopes; ``?wait=true`` drains the queue first.
``GET/POST/DELETE /__sandbox/faults``  List, add or clear fault rules:
                            ``operation`` ("projects.create", "tasks.*",
                            "*"), ``kind`` (error, latency, timeout, drop),
                            ``status``, ``probability``, ``count``,
                            ``latency_s``, ``retry_after_s``.
``PUT /__sandbox/config``   Runtime switches: ``templateCreateDelayS``,
                            ``rejectDuplicateReference``, ``httpNextPage``,
                            ``limitParamFails``, ``rateLimitPerMinute``,
                            ``listRateLimitPerMinute``, ``webhookShuffle``,
                            ``webhookMaxDelayS``.
==========================  ====================================================
"""

from .app import build_app
from .config import FaultRule, SandboxConfig, WebhookConfig
from .seed import seed_default
from .workspace import RocketlaneWorkspace

__all__ = [
    "FaultRule",
    "RocketlaneWorkspace",
    "SandboxConfig",
    "WebhookConfig",
    "build_app",
    "seed_default",
]
