"""Marshmallow schemas of the musyawarah API: rounds, the rows of the lists, decisions, unlock, rekap."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from server.musyawarah.models import DECISIONS, SECTIONS, STATES

REGION = validate.Regexp(r"^[0-9]{2}(\.[0-9]{2}){1,2}(\.[0-9]{4})?$")


class StrictSchema(Schema):
    class Meta:
        unknown = RAISE


class MusyawarahRoundQuerySchema(StrictSchema):
    campaign_id = fields.Integer(metadata={"description": "Only this campaign's rounds"})
    region = fields.String(validate=REGION, metadata={"description": "Only rounds in this region (code)"})


class MusyawarahRoundCreateSchema(StrictSchema):
    campaign_id = fields.Integer(required=True, strict=True)
    region_code = fields.String(required=True, validate=REGION, metadata={"description": "A kelurahan's code"})


class MusyawarahSectionCountsSchema(Schema):
    rows = fields.Integer()
    decided = fields.Integer()
    setuju = fields.Integer()
    tidak_setuju = fields.Integer()


class MusyawarahLockSchema(Schema):
    number = fields.Integer(metadata={"description": "1 for the first signed berita acara, 2 … after each unlock"})
    scan_name = fields.String(allow_none=True)
    scan_sha256 = fields.String()
    counts = fields.Dict(keys=fields.String(), values=fields.Raw(), metadata={"description": "Decisions it signed"})
    locked_at = fields.DateTime()
    unlocked_at = fields.DateTime(allow_none=True)
    unlock_reason = fields.String(allow_none=True)


class MusyawarahRoundSchema(Schema):
    id = fields.Integer()
    campaign_id = fields.Integer()
    region_code = fields.String()
    kelurahan = fields.String(allow_none=True)
    kecamatan = fields.String(allow_none=True)
    state = fields.String(validate=validate.OneOf(STATES), metadata={"enum": list(STATES)})
    version = fields.Integer()
    counts = fields.Dict(
        keys=fields.String(),
        values=fields.Raw(),
        metadata={"description": "Rows per section (in a round's own answer: rows, decided, setuju, tidak_setuju)"},
    )
    package_job_id = fields.UUID(allow_none=True)
    has_lists = fields.Boolean()
    has_berita_acara = fields.Boolean()
    has_scan = fields.Boolean()
    scan_name = fields.String(allow_none=True)
    generated_at = fields.DateTime(allow_none=True)
    held_at = fields.DateTime(allow_none=True)
    locked_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime(allow_none=True)
    berita_version = fields.Integer(
        metadata={"description": "The berita acara's version: the lock it is (or will be) signed for, 1 first"}
    )
    locks = fields.List(
        fields.Nested(MusyawarahLockSchema), metadata={"description": "Every signed version, oldest first"}
    )


class MusyawarahRoundEnvelopeSchema(Schema):
    data = fields.Nested(MusyawarahRoundSchema)


class MusyawarahRoundListSchema(Schema):
    data = fields.List(fields.Nested(MusyawarahRoundSchema))


class MusyawarahItemQuerySchema(StrictSchema):
    section = fields.String(validate=validate.OneOf(SECTIONS), metadata={"enum": list(SECTIONS)})


class MusyawarahItemSchema(Schema):
    id = fields.Integer()
    section = fields.String(metadata={"enum": list(SECTIONS)})
    household_id = fields.UUID()
    member_id = fields.UUID(allow_none=True)
    visit_id = fields.UUID(allow_none=True)
    rw = fields.String(allow_none=True)
    rt = fields.String(allow_none=True)
    evidence = fields.Dict(
        metadata={
            "description": "registry_id, kk_number, nik, name, member_name, address, change, reason, visit_date, "
            "enumerator, outcome, photos, flags"
        }
    )
    change_ids = fields.List(fields.Integer())
    decision = fields.String(allow_none=True, metadata={"description": "setuju / tidak_setuju; null: undecided"})
    remarks = fields.String(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)


class MusyawarahItemListSchema(Schema):
    data = fields.List(fields.Nested(MusyawarahItemSchema))


class MusyawarahDecisionSchema(StrictSchema):
    item_id = fields.Integer(required=True)
    decision = fields.String(required=True, validate=validate.OneOf(DECISIONS))
    remarks = fields.String(
        allow_none=True,
        validate=validate.Length(max=2000),
        metadata={"description": "The forum's remarks; required (the reason) for tidak_setuju"},
    )


class MusyawarahDecisionsSchema(StrictSchema):
    decisions = fields.List(
        fields.Nested(MusyawarahDecisionSchema), required=True, validate=validate.Length(min=1, max=5000)
    )


class MusyawarahDecideAllSchema(StrictSchema):
    decision = fields.String(required=True, validate=validate.OneOf(DECISIONS))
    section = fields.String(validate=validate.OneOf(SECTIONS), load_default=None)
    remarks = fields.String(allow_none=True, validate=validate.Length(max=2000))


class MusyawarahDecisionResultSchema(Schema):
    item_id = fields.Integer()
    status = fields.String(
        metadata={
            "enum": ["decided", "changed", "unchanged", "refused"],
            "description": "changed: a decided row decided differently (the previous decision undone first)",
        }
    )
    code = fields.String(metadata={"description": "Why a row was refused (error code)"})
    changes = fields.Integer()
    household_version = fields.Integer()
    members_created = fields.Integer()
    members_moved = fields.Integer(metadata={"description": "A settled merge: members moved to the target"})
    heads_demoted = fields.Integer(metadata={"description": "A settled merge: moved heads now 'other' (8)"})
    target_version = fields.Integer(metadata={"description": "A settled merge: the target household's version"})


class MusyawarahDecisionOutcomeSchema(Schema):
    counts = fields.Dict(keys=fields.String(), values=fields.Integer())
    results = fields.List(fields.Nested(MusyawarahDecisionResultSchema))
    state = fields.String(metadata={"enum": list(STATES)})
    undecided = fields.Integer(allow_none=True)
    problems = fields.List(fields.String(), metadata={"description": "Imported file: rows that could not be read"})


class MusyawarahDecisionOutcomeEnvelopeSchema(Schema):
    data = fields.Nested(MusyawarahDecisionOutcomeSchema)


class MusyawarahUnlockSchema(StrictSchema):
    reason = fields.String(required=True, validate=validate.Length(min=3, max=2000))


class MusyawarahRekapSchema(StrictSchema):
    campaign_id = fields.Integer(required=True, strict=True)
    region = fields.String(
        load_default="64.72", validate=REGION, metadata={"description": "The city (default) or a kecamatan"}
    )
