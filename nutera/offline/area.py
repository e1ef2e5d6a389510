"""What a volunteer's phone keeps for working offline: only their assigned RTs."""

import hashlib
import json
from datetime import datetime

from sqlalchemy.orm import Session, selectinload

from nutera.models import Household, PersonStatus, Rt, SurveyTask, TaskStatus, User
from nutera.scoping import scoped_select
from nutera.surveys.households import natural_key
from nutera.surveys.services import pairs_from_household

AREA_MAX_AGE_DAYS = 7  # the device wipes its copy after this (and the server says so)


def household_version(pairs: list[list[str]]) -> str:
    """The version of a household as the survey sees it: a fingerprint of its form values.

    Any change to the household or its members (by a form, a refresh or a verified survey,
    whatever path wrote it) gives another version, so a device's stale copy is detected.
    """
    canonical = json.dumps(pairs, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def _head_name(household: Household) -> str:
    living = [p for p in household.members if p.status == PersonStatus.HIDUP]
    head = next((p for p in living if p.relation == "kepala"), living[0] if living else None)
    return head.name if head is not None else ""


def household_entry(household: Household) -> dict:
    """One KK as the device keeps it: head's name, address, the survey's prefilled values."""
    pairs = pairs_from_household(household)
    return {
        "kk": household.kk_number,
        "rt_id": household.rt_id,
        "head": _head_name(household),
        "address": household.address,
        "version": household_version(pairs),
        "pairs": pairs,
    }


def area_for(session: Session, volunteer: User, now: datetime) -> dict:
    """The volunteer's RTs, their KKs and open tasks; nothing outside their scope."""
    rts = sorted(volunteer.assigned_rts, key=lambda rt: (rt.rw.number, rt.number))
    households = session.scalars(
        scoped_select(Household, volunteer)
        .where(Household.kelurahan_id == volunteer.kelurahan_id)
        .options(selectinload(Household.members))
    ).all()
    by_rt: dict[int, list[dict]] = {rt.id: [] for rt in rts}
    for household in sorted(households, key=lambda h: natural_key(h.address)):
        if household.rt_id in by_rt:
            by_rt[household.rt_id].append(household_entry(household))
    tasks = session.scalars(
        scoped_select(SurveyTask, volunteer)
        .where(SurveyTask.status == TaskStatus.TERBUKA)
        .options(
            selectinload(SurveyTask.rt).selectinload(Rt.rw), selectinload(SurveyTask.household)
        )
        .order_by(SurveyTask.created_at, SurveyTask.id)
        .limit(200)
    ).all()
    return {
        "user_id": volunteer.id,
        "fetched_at": int(now.timestamp() * 1000),
        "max_age_days": AREA_MAX_AGE_DAYS,
        "kode_pos": volunteer.kelurahan.kode_pos if volunteer.kelurahan else "",
        "rts": [{"id": rt.id, "label": rt.label, "households": by_rt[rt.id]} for rt in rts],
        "tasks": [
            {
                "id": task.id,
                "rt_id": task.rt_id,
                "rt": task.rt.label,
                "address": task.address,
                "name": task.subject_name,
                "note": task.note,
                # the registered KK the task is about, when it lies in the volunteer's RTs
                "kk": task.household.kk_number
                if task.household is not None and task.household.rt_id in by_rt
                else "",
            }
            for task in tasks
            if task.rt_id in by_rt
        ],
    }


def current_copy(session: Session, volunteer: User, kk_number: str) -> Household | None:
    """The registered household of this KK, if the volunteer may see it."""
    return session.scalar(
        scoped_select(Household, volunteer)
        .where(Household.kk_number == kk_number)
        .options(selectinload(Household.members))
        .execution_options(populate_existing=True)
    )
