"""The Composite resource: up to 25 subrequests with ``@{ref.path}`` links.

With ``allOrNone`` every subrequest runs in one transaction; the first
failure rolls all of it back, keeps its own error and turns every other
subrequest into 400 PROCESSING_HALTED. Without it each subrequest commits on
its own and only those referring to a failed one are halted.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from handoff.ops.sandbox.salesforce.calls import Call, Reply
from handoff.ops.sandbox.salesforce.errors import SalesforceError

if TYPE_CHECKING:
    from handoff.ops.sandbox.salesforce.org import Transaction
    from handoff.ops.sandbox.salesforce.rest import RestApi

__all__ = ["run_composite"]

Record = dict[str, Any]
REFERENCE = re.compile(r"@\{([A-Za-z0-9][A-Za-z0-9_]*)((?:\.[A-Za-z0-9_]+|\[\d+\])*)\}")
HALTED = (
    "The transaction was rolled back since another operation in the same "
    "transaction failed."
)


class _Unresolved(Exception):
    def __init__(self, reference: str, ref_id: str) -> None:
        super().__init__(reference)
        self.reference = reference
        self.ref_id = ref_id


def run_composite(
    api: RestApi, call: Call, subrequests: list[Any], all_or_none: bool
) -> Record:
    """The ``{"compositeResponse": [...]}`` body for a composite call."""
    if not all_or_none:
        answers = _run_each(api, call, subrequests, None)
        return {"compositeResponse": answers}
    with api.org.transaction(origin=call.origin, user_id=call.user_id) as tx:
        answers = _run_each(api, call, subrequests, tx)
        failed = next(
            (i for i, a in enumerate(answers) if a["httpStatusCode"] >= 400), None
        )
        if failed is not None:
            tx.rollback_to((0, 0))
            answers = [
                a if i == failed else _halted(a["referenceId"], HALTED)
                for i, a in enumerate(answers)
            ]
    return {"compositeResponse": answers}


def _run_each(
    api: RestApi, call: Call, subrequests: list[Any], tx: Transaction | None
) -> list[Record]:
    results: dict[str, Any] = {}
    answers: list[Record] = []
    for sub in subrequests:
        ref_id = str(sub.get("referenceId", "")) if isinstance(sub, dict) else ""
        if tx is not None and answers and answers[-1]["httpStatusCode"] >= 400:
            answers.append(_halted(ref_id, HALTED))
            continue
        answer = _run_one(api, call, sub, results, tx)
        answers.append(answer)
        if answer["httpStatusCode"] < 400:
            results[ref_id] = answer["body"]
    return answers


def _run_one(
    api: RestApi, call: Call, sub: Any, results: dict[str, Any], tx: Transaction | None
) -> Record:
    ref_id = str(sub.get("referenceId", "")) if isinstance(sub, dict) else ""
    try:
        sub_call = _sub_call(call, sub, results)
    except _Unresolved as exc:
        message = (
            f"Invalid reference specified. No value for {exc.reference} found in "
            f"{exc.ref_id}. Provided referenceId ({exc.ref_id}) doesn't exist or "
            "has failed."
        )
        return _halted(ref_id, message)
    except SalesforceError as exc:
        return _answer(ref_id, Reply(exc.status, exc.rest_body()))
    return _answer(ref_id, api.handle(sub_call, tx))


def _sub_call(call: Call, sub: Any, results: dict[str, Any]) -> Call:
    if not isinstance(sub, dict) or "url" not in sub or "method" not in sub:
        raise SalesforceError(
            400, "INVALID_FIELD", "Each subrequest needs method, url and referenceId"
        )
    url = _substitute(str(sub["url"]), results)
    parts = urlsplit(url)
    segments = [s for s in parts.path.split("/") if s]
    if segments[:2] != ["services", "data"] or len(segments) < 3:
        raise SalesforceError(400, "INVALID_FIELD", f"Invalid url: {url}")
    return Call(
        method=str(sub["method"]).upper(),
        version=segments[2].lstrip("v"),
        segments=segments[3:],
        params=dict(parse_qsl(parts.query)),
        body=_substitute(sub.get("body"), results),
        origin=call.origin,
        user_id=call.user_id,
        batch_size=call.batch_size,
    )


def _substitute(value: Any, results: dict[str, Any]) -> Any:
    if isinstance(value, str):
        return REFERENCE.sub(lambda m: str(_resolve(m, results)), value)
    if isinstance(value, dict):
        return {k: _substitute(v, results) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, results) for v in value]
    return value


def _resolve(match: re.Match[str], results: dict[str, Any]) -> Any:
    ref_id, path = match.group(1), match.group(2)
    if ref_id not in results:
        raise _Unresolved(f"{ref_id}{path}", ref_id)
    current = results[ref_id]
    for key, index in re.findall(r"\.([A-Za-z0-9_]+)|\[(\d+)\]", path):
        try:
            current = current[int(index)] if index else current[key]
        except (KeyError, IndexError, TypeError):
            raise _Unresolved(f"{ref_id}{path}", ref_id) from None
    return current


def _answer(ref_id: str, reply: Reply) -> Record:
    return {
        "body": reply.body,
        "httpHeaders": dict(reply.headers),
        "httpStatusCode": reply.status,
        "referenceId": ref_id,
    }


def _halted(ref_id: str, message: str) -> Record:
    body = [{"errorCode": "PROCESSING_HALTED", "message": message}]
    return {
        "body": body,
        "httpHeaders": {},
        "httpStatusCode": 400,
        "referenceId": ref_id,
    }
