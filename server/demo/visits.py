"""Demo field visits: what the demo enumerators have already sent, so the review queue has work on first run.

Generated deterministically (their own random stream) as push items in the phones' format, then loaded
through the real sync push (`server.demo.service`), so their quality flags and priority come from the same
code as any phone's. The mix follows a verval round's first weeks: about one assigned household in seven
visited; most found and clean; some moved, deceased, not found, refused, a building gone, a duplicate of
a neighbour; member changes and new members (one of them holding a NIK another household lists); aid
reported that differs from the agency lists now and then; weak or no GPS under roofs and in rain; fixes
at the house where the registered point was misplaced (so `far_from_registered` fires there); a few
households found in the field and proposed. No photos: the demo has no bytes to show.
"""

from __future__ import annotations

import math
import random
import uuid
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from server.demo.geography import M_PER_DEG_LAT, M_PER_DEG_LON
from server.types import Presence, RegistryStatus

WITA = timezone(timedelta(hours=8))
VISIT_SHARE = 1 / 7
MIN_VISITS_PER_ENUMERATOR = 8
FIRST_DAY, LAST_DAY = date(2026, 10, 5), date(2026, 10, 31)
# Outcomes other than found, with their weights (found takes the rest, 0.86).
OTHER_OUTCOMES = (
    ("moved_within", 0.035),
    ("moved_outside", 0.015),
    ("not_found", 0.03),
    ("deceased", 0.015),
    ("refused", 0.015),
    ("building_gone", 0.01),
    ("duplicate", 0.01),
)
PROPOSALS_PER_ENUMERATOR = 1
NOTES = (
    "Rumah panggung di tepi sungai",
    "Kepala keluarga bekerja di luar kota",
    "Tetangga membenarkan data",
    "Rumah kontrakan, pemilik tinggal di tempat lain",
    "Keluarga baru pindah dari kelurahan sebelah",
)


def enumerator_areas(kelurahan_codes: list[str], enumerators: int, per_enumerator: int) -> dict[str, list[str]]:
    """enumeratorN → a few kelurahan spread across the city (sorted codes, evenly stepped)."""
    step = len(kelurahan_codes) // enumerators
    return {
        f"enumerator{number}": kelurahan_codes[(number - 1) * step : (number - 1) * step + per_enumerator]
        for number in range(1, enumerators + 1)
    }


def generate_visits(city: Any, areas: dict[str, list[str]], seed: int, next_nik) -> dict[str, list[dict[str, Any]]]:
    """Push items per enumerator. `next_nik(prefix)` hands out unused NIK serials (the city's numbering)."""
    rng = random.Random(f"{seed}-visits")
    receipts: dict[uuid.UUID, list[Any]] = {}
    member_household = {m.id: h.id for h in city.households for m in h.members}
    for receipt in city.receipts:
        owner = receipt.household_id or member_household[receipt.member_id]
        receipts.setdefault(owner, []).append(receipt)
    all_niks = [m.nik for h in city.households for m in h.members]
    result = {}
    for username, codes in areas.items():
        assigned = [h for h in city.households if h.region_code in codes and h.registry_status == RegistryStatus.ACTIVE]
        count = min(len(assigned), max(MIN_VISITS_PER_ENUMERATOR, round(len(assigned) * VISIT_SHARE)))
        chosen = rng.sample(assigned, count)
        items = [
            _visit(rng, household, receipts.get(household.id, []), assigned, all_niks, next_nik) for household in chosen
        ]
        for _ in range(PROPOSALS_PER_ENUMERATOR if assigned else 0):
            items.append(_proposal(rng, rng.choice(assigned), next_nik))
        result[username] = items
    return result


def _visit(rng, household, receipts, neighbours, all_niks, next_nik) -> dict[str, Any]:
    day = FIRST_DAY + timedelta(days=rng.randint(0, (LAST_DAY - FIRST_DAY).days))
    moment = datetime.combine(day, time(rng.randint(8, 16), rng.randint(0, 59)), WITA)
    roll, outcome = rng.random(), "found"
    for code, weight in OTHER_OUTCOMES:
        if roll < weight:
            outcome = code
            break
        roll -= weight
    item: dict[str, Any] = {
        "id": str(_uuid(rng)),
        "household_id": str(household.id),
        "base_version": 1,
        "device_time": moment.isoformat(),
        "gps": _gps(rng, household, moment),
        "outcome": outcome,
        "consent": outcome != "refused",
        "members": [],
        "house_condition": {},
        "aid_reported": [],
        "notes": rng.choice(NOTES) if rng.random() < 0.2 else None,
        "photos": [],
    }
    if outcome == "duplicate":
        others = [h for h in neighbours if h.id != household.id]
        if others:
            item["duplicate_of"] = str(rng.choice(others).id)
    if outcome != "found":
        return item
    item["members"] = _members(rng, household, all_niks, next_nik)
    item["house_condition"] = _house(rng)
    on_record = sorted({r.program_code for r in receipts if r.period_start <= day <= r.period_end})
    reported = list(on_record)
    if rng.random() < 0.1:
        # The family says otherwise than the agency lists: a program not received, or one not on record.
        if reported and rng.random() < 0.6:
            reported.remove(rng.choice(reported))
        else:
            reported.append(rng.choice(["PKH", "BPNT", "PBI-JK", "SMD-SSN"]))
    item["aid_reported"] = sorted(set(reported))
    return item


def _gps(rng, household, moment: datetime) -> dict[str, Any]:
    roll = rng.random()
    if roll < 0.03:
        return {"no_fix": True, "reason": rng.choice(["Hujan deras, GPS tidak dapat sinyal", "Di dalam gang sempit"])}
    accuracy = rng.uniform(60, 140) if roll < 0.07 else rng.uniform(4, 20)
    x, y = household.field_lon * M_PER_DEG_LON, household.field_lat * M_PER_DEG_LAT
    spread = accuracy / 2
    if rng.random() < 0.01:
        # Filled in away from the house (at the kelurahan office, say): far from where it should be.
        spread, angle = rng.uniform(800, 2500), rng.uniform(0, 2 * math.pi)
        x, y = x + spread * math.cos(angle), y + spread * math.sin(angle)
        spread = accuracy / 2
    lon = round((x + rng.gauss(0, spread)) / M_PER_DEG_LON, 6)
    lat = round((y + rng.gauss(0, spread)) / M_PER_DEG_LAT, 6)
    fixed_at = moment - timedelta(seconds=rng.randint(5, 90))
    return {"lon": lon, "lat": lat, "accuracy_m": round(accuracy, 1), "fixed_at": fixed_at.isoformat()}


def _members(rng, household, all_niks, next_nik) -> list[dict[str, Any]]:
    changes = []
    for member in household.members:
        if member.presence_status != Presence.PRESENT:
            continue  # already settled as gone: nothing to say about them at the door
        presence = rng.choice(["moved", "deceased", "not_found"]) if rng.random() < 0.04 else "present"
        changes.append({"member_id": str(member.id), "presence": presence})
    if rng.random() < 0.06:
        born = date(2026, 1, 1) + timedelta(days=rng.randint(0, 270))
        female = rng.random() < 0.5
        family = household.head_name.split()[-1]
        if rng.random() < 0.15:
            # Moved in and still listed with the family they left: the NIK is on another household's card.
            nik = rng.choice(all_niks)
            name, relationship, female = f"{rng.choice(['Rudi', 'Rina', 'Agus'])} {family}", 8, None
        else:
            prefix = (
                household.kk_number[:6] + f"{born.day + (40 if female else 0):02d}{born.month:02d}{born.year % 100:02d}"
            )
            nik, name, relationship = next_nik(prefix), f"Bayi {family}", 5 if rng.random() < 0.3 else 3
        new = {"presence": "new", "name": name, "nik": nik, "relationship_code": relationship}
        if female is not None:
            new |= {"sex": 2 if female else 1, "birth_date": born.isoformat()}
        changes.append(new)
    return changes


def _house(rng) -> dict[str, Any]:
    return {
        "ownership": rng.choices(["own", "rent", "rent_free", "other"], [60, 25, 12, 3])[0],
        "floor": rng.choices(["ceramic", "cement", "wood", "earth"], [30, 35, 30, 5])[0],
        "wall": rng.choices(["brick", "wood", "bamboo"], [50, 45, 5])[0],
        "roof": rng.choices(["metal", "tile", "wood"], [75, 20, 5])[0],
        "water": rng.choices(["piped", "bottled", "well", "river"], [45, 35, 15, 5])[0],
        "lighting": rng.choices(["pln_450", "pln_900", "pln_1300_plus", "pln_no_meter"], [35, 40, 15, 10])[0],
        "cooking_fuel": rng.choices(["lpg_3kg", "kerosene", "wood"], [85, 5, 10])[0],
        "toilet": rng.choices(["own", "shared", "public", "none"], [75, 15, 7, 3])[0],
        "floor_area": rng.randint(18, 90),
    }


def _proposal(rng, neighbour, next_nik) -> dict[str, Any]:
    """A family found living in the area but on no list: proposed in the field beside a listed neighbour."""
    household_id = str(_uuid(rng))
    day = FIRST_DAY + timedelta(days=rng.randint(0, (LAST_DAY - FIRST_DAY).days))
    moment = datetime.combine(day, time(rng.randint(8, 16), rng.randint(0, 59)), WITA)
    gps = _gps(rng, neighbour, moment)
    if gps.get("no_fix"):
        gps = {
            "lon": neighbour.field_lon,
            "lat": neighbour.field_lat,
            "accuracy_m": 12.0,
            "fixed_at": moment.isoformat(),
        }
    family = rng.choice(["Syahrani", "Mappa", "Daeng", "Lamba"])
    return {
        "id": str(_uuid(rng)),
        "household_id": household_id,
        "new_household": {
            "id": household_id,
            "head_name": f"{rng.choice(['Hasan', 'Rahmawati', 'Jumadi'])} {family}",
            "address": f"Gg. Baru No. {rng.randint(1, 40)}",
            "rt": f"{rng.randint(1, 45):03d}",
            "rw": neighbour.rw,
            "region_code": neighbour.region_code,
        },
        "device_time": moment.isoformat(),
        "gps": gps,
        "outcome": "found",
        "consent": True,
        "members": [{"presence": "new", "name": f"{rng.choice(['Hasan', 'Jumadi'])} {family}", "relationship_code": 1}],
        "house_condition": _house(rng),
        "aid_reported": [],
        "notes": "Keluarga belum terdaftar, diusulkan / not on the list, proposed",
        "photos": [],
    }


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)
