"""A small hand-built city for 2019 in which every analytics figure is worked out by hand (see the comments):
its own programmes (codes T-…) and rules, so the seeded national rules (valid from 2020) play no part."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal

from server.aid.models import AidProgram, AidReceipt
from server.analytics.models import AidRule
from server.analytics.queries import write_version
from server.extensions import db
from server.history.models import RegistryChange
from server.visits.models import Visit
from tests.factories import make_household, make_member, make_nik, make_user

K1, K2 = "64.72.01.1001", "64.72.02.1009"
YEAR = {"start": date(2019, 1, 1), "end": date(2019, 12, 31)}
Q1 = (date(2019, 1, 1), date(2019, 3, 31))
Q2 = (date(2019, 4, 1), date(2019, 6, 30))
H1_ = (date(2019, 1, 1), date(2019, 6, 30))
ALL = (date(2019, 1, 1), date(2019, 12, 31))


@dataclass
class City:
    programs: dict = field(default_factory=dict)
    rules: dict = field(default_factory=dict)
    households: dict = field(default_factory=dict)
    members: dict = field(default_factory=dict)


def _program(code: str, unit: str) -> AidProgram:
    program = AidProgram(
        code=code, name=code, level="national", unit=unit, form="cash", category="test", period="monthly"
    )
    db.session.add(program)
    db.session.flush()
    return program


def _rule(kind, programs, **values) -> AidRule:
    rule = AidRule(kind=kind, programs=programs, legal_basis=f"Uji {kind}", valid_from=date(2019, 1, 1), **values)
    db.session.add(rule)
    db.session.flush()
    return rule


def _receipt(program, period, *, household=None, member=None, amount=None, status="disbursed", **listed):
    db.session.add(
        AidReceipt(
            program_id=program.id,
            household_id=household.id if household is not None else None,
            member_id=member.id if member is not None else None,
            period_start=period[0],
            period_end=period[1],
            amount=Decimal(amount) if amount is not None else None,
            source="agency_list",
            status=status,
            **listed,
        )
    )
    db.session.flush()


def _approved_visit(household, enumerator, outcome: str, members=()) -> None:
    db.session.add(
        Visit(
            id=uuid.uuid4(),
            household_id=household.id,
            enumerator_id=enumerator.id,
            device_time=datetime(2019, 11, 5, 2, 0, tzinfo=UTC),
            no_fix_reason="uji",
            outcome=outcome,
            consent=True,
            answers={"members": [{"member_id": str(m.id), "presence": p} for m, p in members]},
            content_hash=hashlib.sha256(str(household.id).encode()).hexdigest(),
            review_status="approved",
            reviewed_at=datetime(2019, 11, 6, tzinfo=UTC),
        )
    )
    db.session.flush()


def build() -> City:
    city = City()
    p = city.programs
    p["BST"] = _program("T-BST", "family")
    p["PKH"] = _program("T-PKH", "family")
    p["SEM"] = _program("T-SEM", "family")
    p["SSN"] = _program("T-SSN", "family")
    p["PBI"] = _program("T-PBI", "person")
    r = city.rules
    r["excl"] = _rule("exclusive", ["T-BST", "T-PKH"])
    r["food"] = _rule("same_purpose", ["T-SEM", "T-SSN"], label="pangan")
    _rule("eligibility", ["T-PKH"], desil_max=4)
    _rule("eligibility", ["T-SEM"], desil_max=5)
    _rule("eligibility", ["T-PBI"], desil_max=5)
    _rule("standard_amount", ["T-PKH"], amount=Decimal(300000), amount_per="quarter")
    _rule("standard_amount", ["T-SEM"], amount=Decimal(200000), amount_per="month")
    _rule("standard_amount", ["T-PBI"], amount=Decimal(42000), amount_per="month")
    _rule("standard_amount", ["T-BST"], amount=Decimal(600000), amount_per="month")
    write_version(actor_id=None, summary="test city")
    enumerator = make_user("enumerator", ["64.72"])
    h = city.households

    def household(name, region, decile, **extra):
        h[name] = make_household(region_code=region, decile=decile, rt="001", rw="002", **extra)
        make_member(h[name], name=f"Kepala {name}")
        return h[name]

    # H1: T-PKH (agency 750,000, Q1) and T-BST all year without amount (600,000/month standard): T-BST breaks
    # the exclusive rule: 12 x 600,000 = 7,200,000 in the year, all estimated.
    household("H1", K1, 2)
    _receipt(p["PKH"], Q1, household=h["H1"], amount="750000")
    _receipt(p["BST"], ALL, household=h["H1"])
    # H2: T-SEM 2,400,000 and T-SSN 1,200,000 (agency) all year: same purpose; beyond the largest 1,200,000.
    household("H2", K1, 3)
    _receipt(p["SEM"], ALL, household=h["H2"], amount="2400000")
    _receipt(p["SSN"], ALL, household=h["H2"], amount="1200000")
    # H3: desil 7 receives T-PKH (desil 1-4) in Q2 without amount: 300,000 a quarter = 300,000, estimated.
    household("H3", K1, 7)
    _receipt(p["PKH"], Q2, household=h["H3"])
    # H4: verified dead (approved visit), T-SEM January-June 1,200,000.
    household("H4", K1, 2)
    _receipt(p["SEM"], H1_, household=h["H4"], amount="1200000")
    _approved_visit(h["H4"], enumerator, "deceased")
    # H5: verified present, desil 1, nothing live (a not-received receipt does not count): the gap; and per
    # programme missing T-PKH, T-SEM, T-PBI.
    household("H5", K2, 1)
    _receipt(p["SEM"], Q1, household=h["H5"], amount="600000", status="not_received")
    _approved_visit(h["H5"], enumerator, "found")
    # H6: verified present without desil: the unknown bucket, never a gap (a 2018 receipt is outside the year).
    household("H6", K2, None)
    _receipt(p["SEM"], (date(2018, 1, 1), date(2018, 12, 31)), household=h["H6"], amount="2400000")
    _approved_visit(h["H6"], enumerator, "found")
    # H7: verified present, desil 4, T-PBI for two members (42,000/month standard, 504,000 a year each); the
    # second member was found moved: 504,000 estimated. Per programme it misses T-PKH and T-SEM.
    household("H7", K2, 4)
    m7a = make_member(h["H7"], name="Anggota 7a", nik=make_nik(7001), relationship_code=3)
    m7b = make_member(h["H7"], name="Anggota 7b", nik=make_nik(7002), relationship_code=3)
    city.members |= {"m7a": m7a, "m7b": m7b}
    _receipt(p["PBI"], ALL, member=m7a)
    _receipt(p["PBI"], ALL, member=m7b)
    _approved_visit(h["H7"], enumerator, "found", members=[(m7a, "present"), (m7b, "moved")])
    # H8: T-SEM twice for Q1 (two rows of one list): the second 600,000 is paid twice.
    household("H8", K2, 3)
    _receipt(p["SEM"], Q1, household=h["H8"], amount="600000", occurrence=1)
    _receipt(p["SEM"], Q1, household=h["H8"], amount="600000", occurrence=2)
    # H9, H10: one listed NIK paid T-PKH in Q1 on two KKs: the later receipt (H10, 750,000) counts.
    shared = make_nik(7101)
    household("H9", K2, 2)
    _receipt(p["PKH"], Q1, household=h["H9"], amount="750000", listed_nik=shared, listed_nik_valid=True)
    household("H10", K2, 2)
    _receipt(p["PKH"], Q1, household=h["H10"], amount="750000", listed_nik=shared, listed_nik_valid=True)
    # H11: removed from the registry yet paid T-SEM all year 2,400,000: deactivated.
    household("H11", K1, 2, registry_status="removed")
    _receipt(p["SEM"], ALL, household=h["H11"], amount="2400000")
    # H12: the musyawarah settled it dead (registry now says deceased): T-SEM Q1 600,000 is a settled
    # inclusion error and, the registry no longer counting the family, deactivated too; not verified.
    household("H12", K1, 2, registry_status="deceased")
    _receipt(p["SEM"], Q1, household=h["H12"], amount="600000")
    db.session.add(
        RegistryChange(
            household_id=h["H12"].id,
            field="registry_status",
            old_value="active",
            new_value="deceased",
            source_kind="musyawarah",
            state="accepted",
        )
    )
    # Agency rows: a T-PBI recipient not in the registry (K1, all year, no amount: 504,000 estimated) and a
    # T-SEM row with an invalid NIK (K2, Q1, 600,000).
    _receipt(
        p["PBI"],
        ALL,
        listed_match="none",
        listed_nik=make_nik(7201),
        listed_nik_valid=True,
        listed_name="Orang Luar",
        listed_region_code=K1,
    )
    _receipt(
        p["SEM"],
        Q1,
        amount="600000",
        listed_match="none",
        listed_nik_valid=False,
        listed_name="NIK Rusak",
        listed_region_code=K2,
    )
    db.session.flush()
    return city


# (kind, side, rule key or None, programme or None) -> (households, receipts, rupiah in the year, estimated part)
EXPECTED_CITY = {
    ("stacking", "records", "excl", None): (1, 1, 7_200_000, 7_200_000),
    ("stacking", "records", "food", None): (1, 2, 1_200_000, 0),
    ("above_desil", "records", None, None): (1, 1, 300_000, 300_000),
    ("above_desil", "records", None, "T-PKH"): (1, 1, 300_000, 300_000),
    ("dead", "verified", None, None): (1, 1, 1_200_000, 0),
    ("moved", "verified", None, None): (1, 1, 504_000, 504_000),
    ("dead", "settled", None, None): (1, 1, 600_000, 0),
    ("paid_twice", "records", None, None): (1, 1, 600_000, 0),
    ("nik_in_two_households", "records", None, None): (1, 1, 750_000, 0),
    ("deactivated", "records", None, None): (2, 2, 3_000_000, 0),
    ("invalid_nik", "lists", None, None): (0, 1, 600_000, 0),
    ("not_in_registry", "lists", None, None): (0, 1, 504_000, 504_000),
    ("gap", "verified", None, None): (1, 0, 0, 0),
    ("gap_program", "verified", None, None): (2, 0, 0, 0),
    ("gap_program", "verified", None, "T-PKH"): (2, 0, 0, 0),
    ("gap_program", "verified", None, "T-SEM"): (2, 0, 0, 0),
    ("gap_program", "verified", None, "T-PBI"): (1, 0, 0, 0),
    ("unknown_desil", "records", None, None): (1, 0, 0, 0),
    # Receiving in 2019: H1 (750,000 + 7,200,000), H2 (3,600,000), H3 (300,000), H4 (1,200,000), H7 (2 x 504,000),
    # H8 (1,200,000), H9, H10 (750,000 each), H11 (2,400,000), H12 (600,000): 10 families, 14 receipts,
    # Rp 19,758,000 of which 7,200,000 + 300,000 + 1,008,000 = 8,508,000 estimated.
    ("receiving", "records", None, None): (10, 14, 19_758_000, 8_508_000),
}
# The average a receiving family gets a month: 19,758,000 / 12 / 10 = Rp 164,650; the exclusive rule's
# Rp 600,000 a month would pay 3 such families (3.64), the paid-twice Rp 50,000 none.
REACHABLE = {("stacking", "excl"): 3, ("stacking", "food"): 0, ("paid_twice", None): 0, ("deactivated", None): 1}
