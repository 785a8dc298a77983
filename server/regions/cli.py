"""`flask regions load` (the shipped reference list and bundled boundaries) and `flask regions import-boundaries`
(a city's official boundaries from any file GDAL reads)."""

import json
from dataclasses import asdict
from pathlib import Path

import click
from flask.cli import AppGroup

from server.extensions import db
from server.regions.service import BoundaryImportError, import_boundaries, load_regions
from server.unit_of_work import unit_of_work

regions_cli = AppGroup("regions", help="Reference list of regions.")


@regions_cli.command("load")
def load_command() -> None:
    """Upsert Samarinda's kecamatan and kelurahan and the bundled boundaries (idempotent)."""
    with unit_of_work():
        count = load_regions()
    click.echo(f"regions: {count} loaded")


class _DryRun(Exception):
    pass


@regions_cli.command("import-boundaries")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--layer", help="Layer of a multi-layer file (GeoPackage).")
@click.option("--code-field", help="Field holding the Kemendagri code (default: code, kode, kode_wilayah …).")
@click.option("--repair", is_flag=True, help="Repair invalid polygons with ST_MakeValid instead of refusing them.")
@click.option("--dry-run", is_flag=True, help="Check and report, change nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def import_boundaries_command(
    file: Path, layer: str | None, code_field: str | None, repair: bool, dry_run: bool, as_json: bool
) -> None:
    """Load official kecamatan/kelurahan boundaries (GeoJSON, GeoPackage, Shapefile …) and report the changes.

    Every code must be a known region, once; every geometry a valid polygon in Indonesia (any CRS with an
    EPSG code, transformed to WGS 84). Nothing is written unless all of them pass."""
    try:
        with unit_of_work():
            report = import_boundaries(file, layer=layer, code_field=code_field, repair=repair)
            if dry_run:
                raise _DryRun
    except _DryRun:
        db.session.rollback()
    except BoundaryImportError as error:
        click.echo(json.dumps({"refused": error.problems}, indent=2), err=True)
        raise click.exceptions.Exit(1) from None
    if as_json:
        click.echo(json.dumps({"dry_run": dry_run, **asdict(report)}, indent=2))
        return
    prefix = "(dry run, nothing written) " if dry_run else ""
    click.echo(
        f"{prefix}{report.features} boundaries from {report.source}: {len(report.new)} new, "
        f"{len(report.changed)} changed, {len(report.unchanged)} unchanged, {len(report.repaired)} repaired"
    )
    for item in report.changed:
        click.echo(
            f"  changed {item['code']}: {item['area_before_km2']} → {item['area_after_km2']} km², "
            f"moved up to {item['max_shift_m']} m"
        )
    for item in report.new:
        click.echo(f"  new {item['code']}: {item['area_km2']} km²")
    click.echo(
        f"households outside their kelurahan: {report.households_flagged} newly flagged, "
        f"{report.households_unflagged} no longer, {report.households_outside} in all"
    )
