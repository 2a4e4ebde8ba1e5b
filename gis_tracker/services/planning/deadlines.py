"""The daily look at the calendar: announce deadlines that passed or are near, once each.

* an enterprise stage becoming overdue (a planned date passed without the stage reached), and a
  relocation milestone (一年展开 … 2022年整体完成搬迁) passing with enterprises short of it — to the
  relocation office and admins;
* a project's ecological restoration due within 60 days or overdue — to planners and admins;
* an enterprise site's 场地调查与修复 due soon or overdue — to the relocation office and admins.

Run by ``flask --app app notify scan`` (and first thing by ``notify digest``), from a systemd timer or cron
(docs/deployment.md).  Each fact is announced once (:func:`notifications.announce_once`); the
restoration proposals of every project are refreshed on the way, so a DEM stored since is taken into
account.
"""
from __future__ import annotations

import logging
from datetime import date

from sqlalchemy.orm import Session

from ...rules import relocation as relocation_rules
from ...rules.stages import STAGE_LABELS
from ..accounts import notifications
from ..relocation import status
from . import restoration

LOGGER = logging.getLogger(__name__)


def _stage_facts(rows, today: date) -> list[dict]:
    facts = []
    for s in rows:
        for stage, planned in s.overdue:
            facts.append({"key": f"stage_overdue:{s.id}:{stage}:{planned.isoformat()}",
                          "title": f"企业“{s.name}”逾期未到达“{STAGE_LABELS[stage]}”（计划 {planned.isoformat()}）",
                          "severity": "warning", "link": f"/relocation/enterprises/{s.id}",
                          "object_type": "enterprises", "object_id": s.id})
    return facts


def _milestone_facts(session: Session, rows, today: date) -> list[dict]:
    facts = []
    for m in relocation_rules.MILESTONES:
        if m.deadline >= today:
            continue
        short = sum(1 for s in status.statuses(session, m.deadline) if not status.reached(s.stage, m.stage))
        if short:
            facts.append({"key": f"milestone:{m.key}:{m.deadline.isoformat()}",
                          "title": f"搬迁目标“{m.label}”（{m.deadline.isoformat()}）已到期：{short} 家企业未达到“"
                                   f"{STAGE_LABELS[m.stage]}”",
                          "severity": "violation", "link": "/relocation/dashboard", "object_type": "milestone",
                          "object_id": m.key})
    return facts


def scan(session: Session, today: date | None = None, username: str = "system") -> dict:
    """Announce what is newly overdue or due soon; return the number of notices per event; commits."""
    day = today or date.today()
    restoration.refresh(session, None)
    rows = status.statuses(session, min(day, date.today()))
    sent = {
        "stage_overdue": notifications.deadlines(session, "stage_overdue", _stage_facts(rows, day),
                                                 link="/relocation/?overdue=1", noun="家企业搬迁阶段逾期"),
        "milestone_missed": notifications.deadlines(session, "milestone_missed",
                                                    _milestone_facts(session, rows, day),
                                                    link="/relocation/dashboard", noun="项搬迁目标到期未完成"),
    }
    project_facts, site_facts = restoration.deadline_facts(session, day)
    sent["restoration_deadline"] = notifications.deadlines(session, "restoration_deadline", project_facts,
                                                           link="/planning/restoration",
                                                           noun="个项目生态修复即将到期或逾期")
    sent["remediation_deadline"] = notifications.deadlines(session, "remediation_deadline", site_facts,
                                                           link="/planning/restoration?kind=site",
                                                           noun="处企业场地修复即将到期或逾期")
    session.commit()
    LOGGER.info("deadline scan %s by %s: %s", day, username, sent)
    return sent
