"""A faithful Salesforce sandbox: OAuth, REST, SOQL, CDC and faults.

``build_app(org, config=...)`` returns a Starlette app; serve it with
``handoff.ops.serving.ServerThread``. ``SalesforceOrg`` holds the state;
``seed_minimal`` adds an integration user, the standard price book and four
products. Handoff's custom objects and fields are read from the SFDX source
in ``handoff/ops/salesforce/force-app``.

Public API:

* ``POST /services/oauth2/token``: client_credentials (form or Basic) and the
  JWT bearer grant.
* ``GET /services/data/``: versions 31.0 to 67.0; older answer 410.
* ``/services/data/vNN.N/``: sobjects (CRUD, upsert by external ID,
  describe), query and queryAll (paged), composite, composite/sobjects
  (collections), limits. Every reply carries ``Sforce-Limit-Info``.

Admin endpoints (reserved prefix ``/__sandbox/``; JSON in and out):

* ``POST /__sandbox/reset[?seed=false]``: forget all state, then re-seed
  unless ``seed=false``.
* ``GET /__sandbox/records/{SObject}``: every record of a type, deleted ones
  included (``IsDeleted``).
* ``GET /__sandbox/records/{SObject}/{id}``: one record by 15/18-char ID.
* ``GET /__sandbox/events[?limit=N]``: the last change events kept.
* ``GET /__sandbox/deliveries``: delivered count and failed deliveries.
* ``GET|POST|DELETE /__sandbox/subscribers``: list, add (``{"url"}``) or
  remove (``?url=``) CDC subscriber URLs.
* ``GET|PUT /__sandbox/usage``: API calls used and the daily allocation
  (``{"limit": N, "used": M}``).
* ``POST /__sandbox/tokens/expire``: expire every issued access token.
* ``POST /__sandbox/gap-events``: emit a gap event
  (``{"sobject", "recordIds", "changeType": "GAP_UPDATE"|...|"GAP_OVERFLOW"}``).
* ``GET|POST|DELETE /__sandbox/faults[?operation=]``: list, add or clear
  fault rules. A rule is ``{"kind": "error"|"latency"|"timeout"|"drop",
  "operation": "create"|"get"|"update"|"delete"|"upsert"|"query"|
  "collections"|"composite"|"describe"|"limits"|"token"|"*", "status",
  "error_code", "message", "delay_s", "count", "probability"}``. A ``drop``
  commits the write, then closes the connection after the headers: the
  client sees a broken response, not an answer.
* ``GET|POST|DELETE /__sandbox/validation-rules[?object=&name=]``: list,
  add (or replace, by object and name) and remove validation rules. A rule
  is ``{"object", "name", "formula", "message", "field", "active"}``:
  ``formula`` is the error condition, ``field`` the error display field
  (null for none). A rule is compiled when added; an unknown field or
  function, bad syntax or a non-Boolean result answers 400 ``{"error"}``
  naming the rule. DELETE with ``object`` and ``name`` removes one rule,
  with ``object`` alone all of that object's, with neither every rule.

Validation rules also come from the SFDX source
(``objects/<Object>/validationRules/*.validationRule-meta.xml``) and from
``SandboxConfig.validation_rules``. On every write path (create, update,
upsert, collections, composite) a rule whose condition is TRUE refuses the
row with 400 ``[{"message", "errorCode": "FIELD_CUSTOM_VALIDATION_EXCEPTION",
"fields"}]``; nothing is written and no change event is emitted. Formulas
support fields and parent paths, literals, ``+ - * / ^ &``, comparisons,
``&& || !``, and AND, OR, NOT, IF, ISBLANK, ISNULL, BLANKVALUE, ISPICKVAL,
TEXT, LEN, VALUE, TODAY, NOW, ISNEW, ISCHANGED and PRIORVALUE.
"""

from handoff.ops.sandbox.salesforce.app import build_app
from handoff.ops.sandbox.salesforce.config import SandboxConfig
from handoff.ops.sandbox.salesforce.faults import Fault, FaultPlan
from handoff.ops.sandbox.salesforce.org import SalesforceOrg
from handoff.ops.sandbox.salesforce.seed import Seed, seed_minimal
from handoff.ops.sandbox.salesforce.validation import ValidationRule

__all__ = [
    "Fault",
    "FaultPlan",
    "SalesforceOrg",
    "SandboxConfig",
    "Seed",
    "ValidationRule",
    "build_app",
    "seed_minimal",
]
