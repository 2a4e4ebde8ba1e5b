"""What the import pages show and send: the page context of an import and the mapping form → commit body."""
from __future__ import annotations

from sqlalchemy.orm import Session

from .. import importers, parsing
from ..i18n import pick
from ..models import DataImport
from ..services.exchange import imports
from ..services.features import catalog
from ..services.platform import jobs
from ..spatial import crs as crsmod
from ..spatial.encoding import ENCODING_CHOICES
from . import map_config, map_texts

FIELD_TYPES = ("string", "integer", "number", "boolean", "date")
STATUS_LABELS = {"previewed": ("待确认", "Awaiting confirmation"), "committing": ("导入中", "Importing"),
                 "committed": ("已导入", "Imported"), "failed": ("失败", "Failed"),
                 "cancelled": ("已取消", "Cancelled"),
                 "expired": ("已过期", "Expired")}


def upload_choices() -> dict:
    """Return the CRS presets, encodings and accepted extensions for the upload form."""
    return {"crs_presets": [(p.code, pick(p.label, p.label_en)) for p in crsmod.PRESETS],
            "encodings": ENCODING_CHOICES, "extensions": importers.accepted_extensions()}


def writable_targets(session: Session, user) -> list[tuple[str, str]]:
    """Return (id, title) of the layers the user may import into."""
    return [(c.id, pick(c.title, c.title_en)) for c in catalog.all_collections(session).values()
            if c.may_create(user.role) and any(f.editable for f in c.fields)]


def page_context(session: Session, user, record: DataImport, target: str | None) -> dict:
    """Return everything the import page needs (preview, proposed fields, mapping, job, district outline)."""
    preview = record.preview or {}
    texts = map_texts.texts()
    context = {"record": record, "preview": preview, "status_labels": STATUS_LABELS,
               "new_fields": imports.default_new_fields(preview), "field_types": FIELD_TYPES,
               "type_labels": {t: texts[f"type_{t}"] for t in FIELD_TYPES},  # the map's labels: 文本, 整数, …
               "targets": writable_targets(session, user), "target": None, "mapping": {},
               "job": None, "map_data": {"extent": preview.get("extent"), "shapes": preview.get("shapes") or [],
                                         "district": map_config._district_outline(session)},
               **upload_choices()}
    coll = catalog.get(target, session) if target and target != "new" else None
    if coll is not None and coll.id in dict(context["targets"]):
        context["target"] = coll
        context["target_fields"] = [(f.name, pick(f.label, f.label_en), f.required) for f in coll.fields
                                    if f.editable]
        context["mapping"] = imports.default_mapping(preview, coll)
    if record.job_id:
        try:
            context["job"] = jobs.as_dict(jobs.get(session, record.job_id, user.username, user.role == "admin"))
        except Exception:  # noqa: BLE001 - a job row of another user: show the import without it
            context["job"] = None
    return context


def commit_body(form, source_fields: int) -> dict:
    """Turn the mapping form into the commit body of :func:`imports.commit`.

    ``field_count`` (rows of the mapping table) is at most the file's ``source_fields`` columns (else 400).
    """
    count = parsing.integer(form.get("field_count"), "field_count", minimum=0, maximum=source_fields, default=0)
    body: dict = {"target": form.get("target") or "new", "repair": form.get("repair") == "1"}
    if body["target"] == "new":
        body["name"] = (form.get("name") or "").strip()
        body["title"] = (form.get("title") or "").strip()
        fields = []
        for index in range(count):
            if form.get(f"keep_{index}") != "1":
                continue
            fields.append({"source": form.get(f"source_{index}"), "name": (form.get(f"name_{index}") or "").strip(),
                           "label": (form.get(f"label_{index}") or "").strip(),
                           "type": form.get(f"type_{index}") or "string"})
        body["fields"] = fields
    else:
        body["mapping"] = {form.get(f"source_{i}"): form.get(f"map_{i}") or None for i in range(count)}
    return body
