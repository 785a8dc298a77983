"""The pre-filled berita acara (A4 PDF) of a kelurahan's musyawarah and the city's rekap, rendered from HTML
by WeasyPrint (Pango/HarfBuzz for text, the DejaVu fonts of Debian's fonts-dejavu-core; both installed by
`make` and the Dockerfile). Date and place are left to fill by hand; the counts per action come from the
round's rows; attendance lines and the signature blocks are blank."""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

# WeasyPrint reports every layout step and font subset at INFO: not the server log's business.
for _name in ("weasyprint", "weasyprint.progress", "fontTools"):
    logging.getLogger(_name).setLevel(logging.WARNING)

_ENV = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates" / "musyawarah"),
    autoescape=select_autoescape(["html"]),
)
ACTIONS = (
    ("tetap", "Tetap (terverifikasi di lapangan)", "Confirmed in the field"),
    ("perbaikan", "Perbaikan data", "Data corrections"),
    ("hapus", "Usulan penghapusan", "Proposed removals"),
    ("anggota", "Perubahan anggota keluarga", "Member changes"),
    ("usulan_baru", "Usulan baru", "Newly proposed households"),
    ("inklusi", "Kesalahan inklusi", "Inclusion errors"),
    ("tanpa_bantuan", "Layak tanpa bantuan", "Eligible without aid"),
)
SIGNATORIES = (
    ("Lurah", "Head of kelurahan"),
    ("Ketua LPM / Perwakilan masyarakat", "LPM chair / community representative"),
    ("Petugas verval / Pekerja sosial", "Enumerator / social worker"),
    ("Dinas Sosial", "Social affairs office"),
)


def _pdf(html: str) -> bytes:
    from weasyprint import HTML  # imported on use: its start-up (Pango, fonts) is not every request's cost

    return HTML(string=html).write_pdf()


def berita_acara_html(context: dict[str, Any]) -> str:
    counts = context["counts"]
    rows = [
        {
            "label": label,
            "label_en": label_en,
            "rows": counts.get(code, {}).get("rows", 0),
            "setuju": counts.get(code, {}).get("setuju", 0),
            "tidak_setuju": counts.get(code, {}).get("tidak_setuju", 0),
        }
        for code, label, label_en in ACTIONS
    ]
    found = context["round"]
    generated: datetime = context["generated_at"]
    return _ENV.get_template("berita_acara.html").render(
        kelurahan=context["kelurahan"],
        kecamatan=context["kecamatan"],
        region_code=found.region_code,
        campaign=context["campaign"],
        rows=rows,
        total=sum(row["rows"] for row in rows),
        lists_name=context["lists_name"],
        generated=generated.strftime("%Y-%m-%d %H:%M UTC"),
        version=context.get("version", 1),
        replaces=context.get("replaces"),
        signatories=SIGNATORIES,
        attendance=range(1, 13),
    )


def berita_acara_pdf(context: dict[str, Any]) -> bytes:
    return _pdf(berita_acara_html(context))


def rekap_pdf(context: dict[str, Any]) -> bytes:
    return _pdf(_ENV.get_template("rekap.html").render(**context, actions=ACTIONS))
