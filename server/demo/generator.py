"""A synthetic but realistic Samarinda registry, generated deterministically from a seed (no database here).

Shape follows the city's 2021 registry: 42,124 households of which 30,199 were confirmed, the rest already
known dead, moved, not found or duplicated. Each household stands inside its own kelurahan polygon
(`server.demo.geography`: settlements within the bundled boundary file, well clear of its edges), and a
small deliberate share of registered points is misplaced (geocoded to the wrong spot, hundreds of metres
to kilometres away) while the house itself stays where it is, as a field visit will find. Welfare
deciles lean poor, families have 1-8 members with NIKs and No. KKs that pass `server.households.identity`,
and aid is spread over the catalogue with deliberate
stacking (two programs of one purpose at once) and gaps (poor, present families with no aid at all).
"""

from __future__ import annotations

import math
import random
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta

from server.demo.geography import Kelurahan, Settlements, to_degrees
from server.demo.visits import generate_visits
from server.types import Presence, RegistryStatus, VerificationStatus

CONFIRMED_SHARE = 30_199 / 42_124
# How the unconfirmed rest of the registry splits (moved, deceased, not found, duplicate).
UNCONFIRMED_SPLIT = (
    (RegistryStatus.MOVED, 0.42),
    (RegistryStatus.DECEASED, 0.28),
    (RegistryStatus.NOT_FOUND, 0.22),
    (RegistryStatus.DUPLICATE, 0.08),
)
DECILE_WEIGHTS = (15, 14, 13, 12, 11, 10, 9, 7, 5, 4)
SIZE_WEIGHTS = (10, 16, 22, 22, 14, 8, 5, 3)  # 1..8 members
TODAY = date(2026, 11, 1)
YEAR_START, YEAR_END = date(2026, 1, 1), date(2026, 12, 31)
LOCATED_SHARE = 0.9
# Registered points geocoded to the wrong spot (the house is elsewhere): what far_from_registered catches.
# Every 50th household, when located: an exact 2 %, so even a small demo city has a few, and never more.
MISPLACED_EVERY = 50
MISPLACED_DISTANCE_M = (250.0, 3_000.0)

MALE = ("Ahmad", "Budi", "Joko", "Agus", "Hadi", "Eko", "Rudi", "Andi", "Syahrir", "Rahmat", "Yusuf", "Bambang")
MALE += ("Darmawan", "Ilham", "Fajar", "Hendra", "Supriadi", "Muhammad", "Arif", "Wahyu", "Iwan", "Samsul")
FEMALE = ("Siti", "Nur", "Rina", "Sri", "Dewi", "Wati", "Yanti", "Aminah", "Fitri", "Rahma", "Lestari", "Hasanah")
FEMALE += ("Nurhayati", "Kartini", "Ratna", "Aisyah", "Maryam", "Indah", "Wulan", "Sulastri", "Juwita", "Erna")
FAMILY = ("Santoso", "Fauzi", "Pratama", "Hidayat", "Saputra", "Wijaya", "Kurniawan", "Rahman", "Syamsuddin")
FAMILY += ("Hamzah", "Nugroho", "Setiawan", "Gunawan", "Firmansyah", "Ramadhan", "Hakim", "Sinaga", "Lubis")
STREETS = ("Jl. Pangeran Antasari", "Jl. Juanda", "Jl. Slamet Riyadi", "Jl. Cipto Mangunkusumo", "Jl. Suryanata")
STREETS += ("Jl. Pramuka", "Jl. Wahid Hasyim", "Jl. Lambung Mangkurat", "Jl. Sultan Alimuddin", "Jl. Gerilya")
STREETS += ("Jl. KH. Mas Mansyur", "Jl. Bung Tomo", "Jl. Padat Karya", "Jl. Trikora", "Gg. Masjid", "Gg. Keluarga")
BIRTH_PLACES = ("Samarinda",) * 8 + ("Balikpapan", "Tenggarong", "Bontang", "Banjarmasin", "Makassar", "Surabaya")


@dataclass
class DemoMember:
    id: uuid.UUID
    nik: str
    name: str
    sex: int
    birth_date: date
    birth_place: str
    relationship_code: int
    presence_status: Presence


@dataclass
class DemoHousehold:
    id: uuid.UUID
    registry_id: str
    kk_number: str
    head_name: str
    address: str
    rt: str
    rw: str
    region_code: str
    decile: int
    lon: float | None
    lat: float | None
    accuracy_m: float | None
    # Where the house really stands (inside its kelurahan); differs from (lon, lat) when misplaced.
    field_lon: float
    field_lat: float
    misplaced: bool
    registry_status: RegistryStatus
    verification_status: VerificationStatus
    members: list[DemoMember] = field(default_factory=list)


@dataclass
class DemoReceipt:
    program_code: str
    household_id: uuid.UUID | None
    member_id: uuid.UUID | None
    period_start: date
    period_end: date
    amount: int
    status: str
    # The recipient as the agency listed them; occurrence 2 is a second row paying them in the same list.
    listed_nik: str | None = None
    listed_name: str | None = None
    listed_kk: str | None = None
    listed_region_code: str | None = None
    listed_nik_valid: bool | None = True
    listed_match: str = "exact"
    occurrence: int = 1


@dataclass
class DemoCity:
    households: list[DemoHousehold]
    receipts: list[DemoReceipt]
    # Push items per enumerator username (server/demo/visits.py), in the phones' format.
    visits: dict[str, list[dict]] = field(default_factory=dict)


class _Numbers:
    """Hands out NIK / No. KK serials so that no two people or families share a number."""

    def __init__(self) -> None:
        self._serials: Counter[str] = Counter()

    def next(self, prefix: str) -> str:
        self._serials[prefix] += 1
        return f"{prefix}{self._serials[prefix]:04d}"


def generate_city(
    households: int, seed: int, kelurahan: dict[str, Kelurahan], areas: dict[str, list[str]] | None = None
) -> DemoCity:
    """`kelurahan`: code → polygon of every kelurahan of the city (`geography.load_kelurahan`); `areas`:
    enumerator username → kelurahan codes, whose households get the demo's first visits."""
    rng = random.Random(seed)
    # Places draw from their own stream, so the registry's numbers and names do not depend on geometry.
    places = random.Random(f"{seed}-places")
    numbers = _Numbers()
    codes = sorted(kelurahan)
    settlements = {code: Settlements(kelurahan[code], places) for code in codes}
    statuses = _registry_statuses(rng, households)
    result: list[DemoHousehold] = []
    receipts: list[DemoReceipt] = []
    for index in range(households):
        # Round-robin over kelurahan first so that any N covers all 59 of them.
        code = codes[index % len(codes)]
        spot = _place(places, settlements[code], misplaced=index % MISPLACED_EVERY == MISPLACED_EVERY // 2)
        household = _household(rng, numbers, index, code, kelurahan[code].kecamatan_code, spot, statuses[index])
        result.append(household)
        receipts.extend(_aid(rng, household))
    city = DemoCity(result, receipts)
    if areas:
        city.visits = generate_visits(city, areas, seed, numbers.next)
    return city


def _place(
    rng: random.Random, settlements: Settlements, misplaced: bool
) -> tuple[tuple[float, float], tuple[float, float] | None]:
    """(where the house stands, where the registry puts it: None without a location) as (lon, lat)."""
    x, y = settlements.place(rng)
    house = to_degrees(x, y)
    if rng.random() >= LOCATED_SHARE:
        return house, None
    if misplaced:
        distance, bearing = rng.uniform(*MISPLACED_DISTANCE_M), rng.uniform(0, 2 * math.pi)
        return house, to_degrees(x + distance * math.cos(bearing), y + distance * math.sin(bearing))
    return house, house


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _registry_statuses(rng: random.Random, households: int) -> list[RegistryStatus]:
    """Exactly the registry's confirmed share (30,199 of 42,124), the rest split as observed, shuffled."""
    confirmed = round(households * CONFIRMED_SHARE)
    statuses, weights = zip(*UNCONFIRMED_SPLIT, strict=True)
    result = [RegistryStatus.ACTIVE] * confirmed + rng.choices(statuses, weights, k=households - confirmed)
    rng.shuffle(result)
    return result


def _household(rng, numbers, index, region_code, kecamatan_code, spot, status) -> DemoHousehold:
    region6 = kecamatan_code.replace(".", "")
    (field_lon, field_lat), registered = spot
    household = DemoHousehold(
        id=_uuid(rng),
        registry_id=f"DTKS-{index + 1:06d}",
        kk_number=numbers.next(region6 + _ddmmyy(_random_date(rng, date(2005, 1, 1), date(2025, 12, 31)))),
        head_name="",
        address=f"{rng.choice(STREETS)} No. {rng.randint(1, 250)}",
        rt=f"{rng.randint(1, 45):03d}",
        rw=f"{rng.randint(1, 12):03d}",
        region_code=region_code,
        decile=rng.choices(range(1, 11), DECILE_WEIGHTS)[0],
        lon=registered[0] if registered else None,
        lat=registered[1] if registered else None,
        accuracy_m=round(rng.uniform(4, 40), 1) if registered else None,
        field_lon=field_lon,
        field_lat=field_lat,
        misplaced=registered is not None and registered != (field_lon, field_lat),
        registry_status=status,
        # Households already known gone were settled by an earlier round; the rest await this one.
        verification_status=VerificationStatus.UNVERIFIED
        if status == RegistryStatus.ACTIVE
        else VerificationStatus.APPROVED,
    )
    household.members = _members(rng, numbers, region6, status)
    household.head_name = household.members[0].name
    return household


def _members(rng, numbers, region6, status) -> list[DemoMember]:
    size = rng.choices(range(1, 9), SIZE_WEIGHTS)[0]
    family = rng.choice(FAMILY)
    head_female = rng.random() < 0.2
    head_birth = _random_date(rng, date(1950, 1, 1), date(2000, 12, 31))
    people = [(1, head_female, head_birth)]
    if size >= 2 and rng.random() < 0.85:
        people.append((2, not head_female, head_birth + timedelta(days=rng.randint(-2500, 2500))))
    youngest_parent = max(birth for _, _, birth in people)
    while len(people) < size:
        roll = rng.random()
        if roll < 0.78:
            earliest = max(youngest_parent + timedelta(days=365 * 17), date(1975, 1, 1))
            people.append((3, rng.random() < 0.5, _random_date(rng, earliest, TODAY - timedelta(days=30))))
        elif roll < 0.88 and head_birth.year >= 1965:
            latest = head_birth - timedelta(days=365 * 17)
            people.append((6, rng.random() < 0.6, _random_date(rng, latest - timedelta(days=365 * 20), latest)))
        elif roll < 0.95:
            people.append((5, rng.random() < 0.5, _random_date(rng, date(2012, 1, 1), TODAY - timedelta(days=30))))
        else:
            people.append((8, rng.random() < 0.5, _random_date(rng, date(1960, 1, 1), date(2008, 12, 31))))
    presence = {
        RegistryStatus.DECEASED: Presence.DECEASED,
        RegistryStatus.MOVED: Presence.MOVED,
        RegistryStatus.NOT_FOUND: Presence.NOT_FOUND,
        RegistryStatus.DUPLICATE: Presence.DUPLICATE,
    }.get(status)
    members = []
    for relationship, female, born in people:
        day = born.day + (40 if female else 0)
        nik = numbers.next(f"{region6}{day:02d}{born.month:02d}{born.year % 100:02d}")
        given = rng.choice(FEMALE if female else MALE)
        name = f"{given} {family}" if relationship in (1, 3, 5) else f"{given} {rng.choice(FAMILY)}"
        member_presence = presence or (Presence.DECEASED if rng.random() < 0.02 else Presence.PRESENT)
        members.append(
            DemoMember(
                id=_uuid(rng),
                nik=nik,
                name=name,
                sex=2 if female else 1,
                birth_date=born,
                birth_place=rng.choice(BIRTH_PLACES),
                relationship_code=relationship,
                presence_status=member_presence,
            )
        )
    return members


def _aid(rng, household: DemoHousehold) -> list[DemoReceipt]:
    """Receipts of one household: poorer deciles get more; some get stacked programs, some poor ones none."""
    receipts: list[DemoReceipt] = []
    poor = household.decile <= 4
    active = household.registry_status == RegistryStatus.ACTIVE
    # Gaps: a share of poor, present families the agencies never reached.
    if active and household.decile <= 2 and rng.random() < 0.12:
        return receipts

    def family(code, start, end, amount, chance):
        if rng.random() < chance:
            status = "disbursed" if end < TODAY else rng.choice(("disbursed", "disbursed", "listed"))
            receipts.append(DemoReceipt(code, household.id, None, start, end, amount, status))
            return True
        return False

    # Gone households still on agency lists are exactly what verval must catch.
    listed = 1.0 if active else 0.35
    has_pkh = family("PKH", YEAR_START, YEAR_END, 3_000_000, (0.55 if poor else 0.08) * listed)
    has_bpnt = family("BPNT", YEAR_START, YEAR_END, 2_400_000, (0.6 if poor else 0.12) * listed)
    # Stacking: the province's and the city's programs on top of the national one of the same purpose.
    family("KALTIM-BSTR", YEAR_START, YEAR_END, 1_200_000, 0.18 if has_pkh else 0.03)
    family("SMD-SSN", YEAR_START, YEAR_END, 1_800_000, 0.15 if has_bpnt else 0.03)
    family("BST-COVID", date(2020, 4, 1), date(2021, 12, 31), 6_600_000, 0.45 if poor else 0.15)
    family("BLT-BBM-2022", date(2022, 9, 1), date(2022, 12, 31), 600_000, 0.4 if poor else 0.1)
    family("BLT-ELNINO-2023", date(2023, 11, 1), date(2023, 12, 31), 400_000, 0.35 if poor else 0.08)
    for member in household.members:
        if member.presence_status != Presence.PRESENT and active:
            continue
        if rng.random() < (0.7 if poor else 0.25) * listed:
            receipts.append(DemoReceipt("PBI-JK", None, member.id, YEAR_START, YEAR_END, 504_000, "disbursed"))
        age = (TODAY - member.birth_date).days // 365
        if member.relationship_code in (3, 5) and 6 <= age <= 18 and rng.random() < (0.5 if poor else 0.1):
            receipts.append(DemoReceipt("PIP", None, member.id, YEAR_START, YEAR_END, 750_000, "disbursed"))
    return receipts


def _random_date(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randint(0, max(0, (end - start).days)))


def _ddmmyy(day: date) -> str:
    return f"{day.day:02d}{day.month:02d}{day.year % 100:02d}"
