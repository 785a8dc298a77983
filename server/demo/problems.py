"""The aid problems the demo city plants on purpose, so every analytics figure (issue 18) is non-zero and can be
found again: deterministic (their own random stream), applied to the generated city before it is loaded.

- every agency receipt names its recipient as the agency listed them (NIK, name, No. KK, kelurahan);
- paid twice: a PKH or BPNT row repeated in the same 2026 list (occurrence 2);
- one NIK on two KKs: a PKH row of one family listing another family's head;
- BST 2020-21 to PKH families: a 2021 PKH receipt for some BST households (the exclusive rule of 2020-21);
- the agencies' own rows for people not in the registry (valid NIKs of another city) and with broken NIKs;
- households without a desil (the unknown bucket), still receiving aid;
- field findings to approve: per enumerator one visit each found deceased, moved away, not found and a
  duplicate of a neighbour, on households that receive 2026 aid, and one found present, poor and reached
  by no programme (the gap); `approvals` lists what the demo's reviewer approves after the push;
- settled by the musyawarah: a few households the registry lists as deceased that are still paid get an
  accepted registry change (`settled` below).
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from server.types import RegistryStatus

YEAR_START, YEAR_END = date(2026, 1, 1), date(2026, 12, 31)
OUTSIDE_CITY = "647101"  # Balikpapan Selatan: a valid NIK region, never one of Samarinda's registry
FORCED_OUTCOMES = ("deceased", "moved_outside", "not_found", "duplicate")


@dataclass
class Planted:
    approvals: list[str] = field(default_factory=list)  # visit ids the demo reviewer approves
    settled: list[uuid.UUID] = field(default_factory=list)  # households settled deceased by the musyawarah
    counts: dict[str, int] = field(default_factory=dict)


def plant_problems(city: Any, seed: int) -> Planted:
    from server.demo.generator import DemoReceipt

    rng = random.Random(f"{seed}-problems")
    planted = Planted()
    households = {h.id: h for h in city.households}
    members = {m.id: (h, m) for h in city.households for m in h.members}
    heads = {h.id: next((m for m in h.members if m.relationship_code == 1), h.members[0]) for h in city.households}
    n = len(city.households)

    for receipt in city.receipts:
        if receipt.household_id is not None:
            household, person = households[receipt.household_id], heads[receipt.household_id]
        else:
            household, person = members[receipt.member_id]
        receipt.listed_nik, receipt.listed_name = person.nik, person.name
        receipt.listed_kk, receipt.listed_region_code = household.kk_number, household.region_code

    current = [r for r in city.receipts if r.program_code in ("PKH", "BPNT") and r.period_start == YEAR_START]
    twice = rng.sample(current, min(len(current), max(2, n // 300)))
    for receipt in twice:
        city.receipts.append(_copy(receipt, occurrence=2))
    pkh = [r for r in city.receipts if r.program_code == "PKH" and r.period_start == YEAR_START and r.occurrence == 1]
    pairs = 0
    for first, second in zip(pkh[::97], pkh[48::97], strict=False):
        if first.household_id != second.household_id:
            second.listed_nik, second.listed_name = first.listed_nik, first.listed_name
            pairs += 1
    bst = [r for r in city.receipts if r.program_code == "BST-COVID"]
    stacked = rng.sample(bst, min(len(bst), max(2, n // 80)))
    for receipt in stacked:
        city.receipts.append(
            DemoReceipt(
                "PKH",
                receipt.household_id,
                None,
                date(2021, 1, 1),
                date(2021, 12, 31),
                3_000_000,
                "disbursed",
                listed_nik=receipt.listed_nik,
                listed_name=receipt.listed_name,
                listed_kk=receipt.listed_kk,
                listed_region_code=receipt.listed_region_code,
            )
        )

    codes = sorted({h.region_code for h in city.households})
    outsiders = max(3, n // 500)
    for index in range(outsiders):
        born = date(1970 + rng.randint(0, 40), rng.randint(1, 12), rng.randint(1, 28))
        nik = f"{OUTSIDE_CITY}{born.day:02d}{born.month:02d}{born.year % 100:02d}{index + 1:04d}"
        city.receipts.append(
            DemoReceipt(
                "PBI-JK",
                None,
                None,
                YEAR_START,
                YEAR_END,
                504_000,
                "disbursed",
                listed_nik=nik,
                listed_name=f"Penerima Luar Daftar {index + 1}",
                listed_region_code=rng.choice(codes),
                listed_match="none",
            )
        )
    broken = max(2, n // 1000)
    for index in range(broken):
        city.receipts.append(
            DemoReceipt(
                "BPNT",
                None,
                None,
                YEAR_START,
                YEAR_END,
                2_400_000,
                "listed",
                listed_nik=None,
                listed_nik_valid=False,
                listed_name=f"NIK Rusak {index + 1}",
                listed_region_code=rng.choice(codes),
                listed_match="none",
            )
        )

    receiving = {r.household_id or members[r.member_id][0].id for r in city.receipts if r.member_id or r.household_id}
    active = [h for h in city.households if h.registry_status == RegistryStatus.ACTIVE and h.id in receiving]
    unknown = rng.sample(active, min(len(active), max(3, n // 400)))
    for household in unknown:
        household.decile = None

    _plant_visits(city, planted, rng, households, receiving)

    gone = [h for h in city.households if h.registry_status == RegistryStatus.DECEASED and h.id in receiving]
    planted.settled = [h.id for h in rng.sample(gone, min(len(gone), max(2, n // 1000)))]
    planted.counts = {
        "paid_twice": len(twice),
        "nik_on_two_kk": pairs,
        "bst_with_pkh_2021": len(stacked),
        "not_in_registry": outsiders,
        "invalid_nik": broken,
        "unknown_desil": len(unknown),
        "approved_visits": len(planted.approvals),
        "settled_deceased": len(planted.settled),
    }
    return planted


def _plant_visits(city, planted: Planted, rng, households, receiving) -> None:
    """Per enumerator: force the outcomes to approve on visited households with 2026 aid, and one gap."""
    for items in city.visits.values():
        visits = [item for item in items if not item.get("new_household")]
        with_aid = [item for item in visits if uuid.UUID(item["household_id"]) in receiving]
        for outcome, item in zip(FORCED_OUTCOMES, with_aid, strict=False):
            item.update(outcome=outcome, consent=True, members=[], house_condition={}, aid_reported=[])
            item.pop("duplicate_of", None)
            if outcome == "duplicate":
                household = households[uuid.UUID(item["household_id"])]
                neighbour = next(
                    (h for h in city.households if h.region_code == household.region_code and h.id != household.id),
                    None,
                )
                if neighbour is None:
                    continue
                item["duplicate_of"] = str(neighbour.id)
            planted.approvals.append(item["id"])
        forced = set(planted.approvals)
        found = [item for item in visits if item["outcome"] == "found" and item["id"] not in forced]
        poor = [item for item in found if (households[uuid.UUID(item["household_id"])].decile or 99) <= 5]
        if poor:
            gap = poor[0]
            household_id = uuid.UUID(gap["household_id"])
            member_ids = {m.id for m in households[household_id].members}
            city.receipts[:] = [
                r
                for r in city.receipts
                if not (r.period_end >= YEAR_START and (r.household_id == household_id or r.member_id in member_ids))
            ]
            gap["aid_reported"] = []
            planted.approvals.append(gap["id"])
        # Half of the other found visits approved too: the reviewers have worked through part of the queue.
        planted.approvals.extend(item["id"] for item in found[1::2] if item["id"] not in planted.approvals)


def _copy(receipt, **changes):
    from dataclasses import replace

    return replace(receipt, **changes)
