"""The store's contract, run on SQLite and on PostgreSQL alike."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from handoff.adapters.errors import Conflict, Contention, NotFound
from handoff.adapters.store import SqlAlchemyStore

KEY = "HO-0123456789ABCDEF0123"
OTHER_KEY = "HO-FEDCBA9876543210FEDC"
PROJECT_ID = "a0B5g00000XyZ12EAF"
OTHER_PROJECT_ID = "a0B5g00000XyZ34EAF"
DAY = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)


# Project mapping.


def test_a_new_mapping_is_pending_at_version_one(store: SqlAlchemyStore) -> None:
    mapping = store.ensure_mapping(KEY, deal_id="006000000000001AAA")

    assert mapping.correlation_key == KEY
    assert mapping.status == "pending"
    assert mapping.version == 1
    assert mapping.deal_id == "006000000000001AAA"
    assert mapping.last_pushed == {}
    assert mapping.created_at.tzinfo is not None


def test_ensuring_an_existing_mapping_returns_it_unchanged(
    store: SqlAlchemyStore,
) -> None:
    first = store.ensure_mapping(KEY, status="provisioning")

    again = store.ensure_mapping(KEY, status="active")

    assert again == first
    assert store.list_mappings() == [first]


def test_an_unknown_key_has_no_mapping(store: SqlAlchemyStore) -> None:
    assert store.get_mapping(KEY) is None


def test_a_mapping_is_found_by_either_system_id(store: SqlAlchemyStore) -> None:
    store.ensure_mapping(KEY, salesforce_project_id=PROJECT_ID)
    store.set_rocketlane_project(KEY, 901)

    by_salesforce = store.find_mapping(salesforce_project_id=PROJECT_ID)
    by_rocketlane = store.find_mapping(rocketlane_project_id=901)

    assert by_salesforce == by_rocketlane == store.get_mapping(KEY)
    assert store.find_mapping(rocketlane_project_id=902) is None


def test_finding_a_mapping_needs_exactly_one_id(store: SqlAlchemyStore) -> None:
    with pytest.raises(ValueError, match="exactly one"):
        store.find_mapping()


def test_two_keys_cannot_share_a_salesforce_project(store: SqlAlchemyStore) -> None:
    store.ensure_mapping(KEY, salesforce_project_id=PROJECT_ID)

    with pytest.raises(Conflict):
        store.ensure_mapping(OTHER_KEY, salesforce_project_id=PROJECT_ID)


def test_an_update_changes_only_the_given_fields_and_bumps_the_version(
    store: SqlAlchemyStore,
) -> None:
    before = store.ensure_mapping(KEY, forecast_state="Reserved")

    after = store.update_mapping(
        KEY, status="active", last_pushed={"name": "Acme"}, last_error=None
    )

    assert after.status == "active"
    assert after.last_pushed == {"name": "Acme"}
    assert after.forecast_state == "Reserved"
    assert after.version == before.version + 1
    assert after.updated_at >= before.updated_at
    assert store.get_mapping(KEY) == after


def test_an_update_with_a_stale_version_is_refused(store: SqlAlchemyStore) -> None:
    read = store.ensure_mapping(KEY)
    store.update_mapping(KEY, status="provisioning", expected_version=read.version)

    with pytest.raises(Contention):
        store.update_mapping(KEY, status="error", expected_version=read.version)

    assert store.get_mapping(KEY).status == "provisioning"  # type: ignore[union-attr]


def test_updating_an_unknown_mapping_raises_not_found(store: SqlAlchemyStore) -> None:
    with pytest.raises(NotFound):
        store.update_mapping(KEY, status="active")


def test_an_update_cannot_steal_another_keys_salesforce_project(
    store: SqlAlchemyStore,
) -> None:
    store.ensure_mapping(KEY, salesforce_project_id=PROJECT_ID)
    store.ensure_mapping(OTHER_KEY)

    with pytest.raises(Conflict):
        store.update_mapping(OTHER_KEY, salesforce_project_id=PROJECT_ID)


def test_setting_the_same_rocketlane_project_twice_is_harmless(
    store: SqlAlchemyStore,
) -> None:
    store.ensure_mapping(KEY)
    first = store.set_rocketlane_project(KEY, 901)

    again = store.set_rocketlane_project(KEY, 901)

    assert again == first
    assert again.rocketlane_project_id == 901


def test_a_key_cannot_map_to_a_second_rocketlane_project(
    store: SqlAlchemyStore,
) -> None:
    store.ensure_mapping(KEY)
    store.set_rocketlane_project(KEY, 901)

    with pytest.raises(Conflict, match="already maps"):
        store.set_rocketlane_project(KEY, 902)


def test_a_rocketlane_project_cannot_map_to_a_second_key(
    store: SqlAlchemyStore,
) -> None:
    store.ensure_mapping(KEY)
    store.ensure_mapping(OTHER_KEY)
    store.set_rocketlane_project(KEY, 901)

    with pytest.raises(Conflict, match="already maps"):
        store.set_rocketlane_project(OTHER_KEY, 901)

    assert store.get_mapping(OTHER_KEY).rocketlane_project_id is None  # type: ignore[union-attr]


def test_setting_a_rocketlane_project_on_an_unknown_key_raises_not_found(
    store: SqlAlchemyStore,
) -> None:
    with pytest.raises(NotFound):
        store.set_rocketlane_project(KEY, 901)


def test_mappings_are_listed_by_status_and_page(store: SqlAlchemyStore) -> None:
    for number in range(5):
        store.ensure_mapping(
            f"HO-{number}", status="active" if number % 2 else "pending"
        )

    pending = store.list_mappings(status="pending")
    page = store.list_mappings(limit=2, offset=1)

    assert [m.correlation_key for m in pending] == ["HO-0", "HO-2", "HO-4"]
    assert [m.correlation_key for m in page] == ["HO-1", "HO-2"]
    assert store.mappings_by_status() == {"pending": 3, "active": 2}


# Milestone mapping.


def test_a_milestone_is_ensured_once_and_found_by_either_id(
    store: SqlAlchemyStore,
) -> None:
    store.ensure_mapping(KEY)

    first = store.ensure_milestone(KEY, "kickoff", salesforce_milestone_id="a1X1")
    again = store.ensure_milestone(KEY, "kickoff", salesforce_milestone_id="a1X2")
    updated = store.update_milestone(KEY, "kickoff", rocketlane_task_id=77)

    assert again == first
    assert updated.rocketlane_task_id == 77
    assert updated.salesforce_milestone_id == "a1X1"
    assert store.find_milestone(rocketlane_task_id=77) == updated
    assert store.find_milestone(salesforce_milestone_id="a1X1") == updated
    assert store.get_milestone(KEY, "kickoff") == updated


def test_milestones_are_listed_per_project(store: SqlAlchemyStore) -> None:
    store.ensure_mapping(KEY)
    store.ensure_mapping(OTHER_KEY)
    store.ensure_milestone(KEY, "b-design")
    store.ensure_milestone(KEY, "a-kickoff")
    store.ensure_milestone(OTHER_KEY, "a-kickoff")

    listed = store.list_milestones(KEY)

    assert [m.key for m in listed] == ["a-kickoff", "b-design"]


def test_a_milestone_needs_a_mapped_project(store: SqlAlchemyStore) -> None:
    with pytest.raises(NotFound):
        store.ensure_milestone(KEY, "kickoff")


def test_two_milestones_cannot_share_a_rocketlane_task(
    store: SqlAlchemyStore,
) -> None:
    store.ensure_mapping(KEY)
    store.ensure_milestone(KEY, "kickoff", rocketlane_task_id=77)
    store.ensure_milestone(KEY, "design")

    with pytest.raises(Conflict):
        store.update_milestone(KEY, "design", rocketlane_task_id=77)


def test_updating_an_unknown_milestone_raises_not_found(
    store: SqlAlchemyStore,
) -> None:
    store.ensure_mapping(KEY)

    with pytest.raises(NotFound):
        store.update_milestone(KEY, "kickoff", last_pushed={"x": 1})


def test_milestone_last_pushed_round_trips(store: SqlAlchemyStore) -> None:
    store.ensure_mapping(KEY)
    store.ensure_milestone(KEY, "kickoff")

    store.update_milestone(KEY, "kickoff", last_pushed={"dueDate": "2026-06-01"})

    milestone = store.get_milestone(KEY, "kickoff")
    assert milestone is not None
    assert milestone.last_pushed == {"dueDate": "2026-06-01"}


# Audit log and dashboard counts.


def test_audit_entries_are_appended_and_listed_in_order(
    store: SqlAlchemyStore,
) -> None:
    store.record_audit(
        system="rocketlane",
        operation="create",
        record_type="project",
        record_id="901",
        correlation_key=KEY,
        actor="provision",
        trace_id="4bf92f3577b34da6a3ce929d0e0e4736",
        fields={"projectName": "Acme – Onboarding"},
    )
    store.record_audit(
        system="salesforce",
        operation="update",
        record_type="Project__c",
        correlation_key=KEY,
        outcome="error",
        error="UNABLE_TO_LOCK_ROW",
        reason="write-back",
    )
    store.record_audit(system="salesforce", operation="update", record_type="X")

    entries = store.list_audit(correlation_key=KEY)

    assert [e.operation for e in entries] == ["create", "update"]
    assert entries[0].fields == {"projectName": "Acme – Onboarding"}
    assert entries[0].outcome == "ok"
    assert entries[1].error == "UNABLE_TO_LOCK_ROW"
    assert [e.system for e in store.list_audit(system="rocketlane")] == ["rocketlane"]


def test_activity_counts_only_the_window(store: SqlAlchemyStore) -> None:
    def audit(operation: str, at: datetime, outcome: str = "ok") -> None:
        store.record_audit(
            system="rocketlane",
            operation=operation,
            record_type="project",
            outcome=outcome,  # type: ignore[arg-type]
            at=at,
        )

    audit("create", DAY)
    audit("create", DAY + timedelta(minutes=5))
    audit("update", DAY + timedelta(minutes=6))
    audit("upsert", DAY + timedelta(minutes=7))
    audit("create", DAY + timedelta(minutes=8), outcome="error")
    audit("create", DAY - timedelta(days=1))
    store.record_dead_letter(
        message_id="m1",
        actor="provision",
        queue="default",
        message={},
        error_type="InvalidRequest",
        error="bad",
        failed_at=DAY + timedelta(minutes=9),
    )

    counts = store.activity(since=DAY, until=DAY + timedelta(hours=1))

    assert (counts.creations, counts.updates) == (2, 2)
    assert (counts.failures, counts.dead_letters) == (1, 1)


# De-duplication.


def test_an_event_is_processed_once(store: SqlAlchemyStore) -> None:
    assert store.mark_processed("rocketlane", "evt-1") is True
    assert store.mark_processed("rocketlane", "evt-1") is False
    assert store.mark_processed("salesforce-cdc", "evt-1") is True


def test_old_processed_events_are_forgotten(store: SqlAlchemyStore) -> None:
    store.mark_processed("rocketlane", "old", received_at=DAY - timedelta(days=8))
    store.mark_processed("rocketlane", "new", received_at=DAY)

    forgotten = store.forget_processed(before=DAY - timedelta(days=7))

    assert forgotten == 1
    assert store.mark_processed("rocketlane", "old") is True
    assert store.mark_processed("rocketlane", "new") is False


# Dead letters.


def _dead_letter(store: SqlAlchemyStore, message_id: str = "msg-1", **extra: object):  # type: ignore[no-untyped-def]
    options = {
        "message_id": message_id,
        "actor": "provision",
        "queue": "default",
        "message": {"message_id": message_id, "args": [KEY], "options": {}},
        "error_type": "InvalidRequest",
        "error": "Rocketlane 400: templateId is required",
        "attempts": 1,
        "correlation_key": KEY,
        "trace_id": "abc",
    }
    options.update(extra)
    return store.record_dead_letter(**options)  # type: ignore[arg-type]


def test_a_dead_letter_keeps_the_whole_message_and_is_open(
    store: SqlAlchemyStore,
) -> None:
    letter = _dead_letter(store)

    assert letter.status == "open"
    assert letter.message["args"] == [KEY]
    assert store.get_dead_letter(letter.id) == letter
    assert store.list_dead_letters(status="open") == [letter]


def test_a_redelivered_dead_letter_updates_the_one_row(
    store: SqlAlchemyStore,
) -> None:
    first = _dead_letter(store, failed_at=DAY)

    again = _dead_letter(
        store, attempts=3, error="later", failed_at=DAY.replace(hour=13)
    )

    assert again.id == first.id
    assert (again.attempts, again.error) == (3, "later")
    assert again.first_failed_at == DAY
    assert again.failed_at == DAY.replace(hour=13)
    assert len(store.list_dead_letters()) == 1


def test_a_replayed_dead_letter_records_the_new_message(
    store: SqlAlchemyStore,
) -> None:
    letter = _dead_letter(store)

    replayed = store.mark_dead_letter_replayed(letter.id, "msg-2")

    assert replayed.status == "replayed"
    assert replayed.replay_message_id == "msg-2"
    assert replayed.replayed_at is not None
    assert store.list_dead_letters(status="open") == []


def test_a_closed_dead_letter_cannot_be_replayed_or_discarded(
    store: SqlAlchemyStore,
) -> None:
    letter = _dead_letter(store)
    store.discard_dead_letter(letter.id)

    with pytest.raises(Conflict):
        store.mark_dead_letter_replayed(letter.id, "msg-2")
    with pytest.raises(Conflict):
        store.discard_dead_letter(letter.id)

    assert store.get_dead_letter(letter.id).status == "discarded"


def test_an_unknown_dead_letter_raises_not_found(store: SqlAlchemyStore) -> None:
    with pytest.raises(NotFound):
        store.get_dead_letter(12345)
    with pytest.raises(NotFound):
        store.discard_dead_letter(12345)


def test_dead_letters_are_filtered_by_project(store: SqlAlchemyStore) -> None:
    _dead_letter(store, "m1")
    _dead_letter(store, "m2", correlation_key=OTHER_KEY)

    mine = store.list_dead_letters(correlation_key=OTHER_KEY)

    assert [letter.message_id for letter in mine] == ["m2"]


# Forecast transitions.


def test_transitions_are_kept_accepted_or_refused(store: SqlAlchemyStore) -> None:
    store.record_transition(KEY, from_state=None, to_state="Forecasted", accepted=True)
    store.record_transition(
        KEY,
        from_state="Booked",
        to_state="Reserved",
        accepted=False,
        reason="a booked project never falls back",
    )

    transitions = store.list_transitions(KEY)

    assert [(t.from_state, t.to_state, t.accepted) for t in transitions] == [
        (None, "Forecasted", True),
        ("Booked", "Reserved", False),
    ]
    assert transitions[1].reason == "a booked project never falls back"
    assert store.list_transitions(OTHER_KEY) == []
