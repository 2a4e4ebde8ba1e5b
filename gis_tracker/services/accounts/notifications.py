"""Tell people what happened: the events, who hears of them, the inbox, and each user's settings.

An event function (``flags_raised``, ``review_issued``, ``project_blocked``, ``import_finished``, …)
adds one :class:`Notification` per recipient to the caller's session, so the notice commits with the
change it reports, or not at all.  Recipients are the active users whose role the event is for
(planners and admins for flags and reviews, relocation officers and admins for relocation deadlines,
the author for an import), minus those who turned the event off in their settings, plus those who
turned it on; an event caused by a user is not sent back to that user.

E-mail is optional (``SMTP_HOST``, none by default): a notice for a user who asked for e-mail is marked
``immediate`` or ``digest``; immediate ones are sent right after the commit (:mod:`.mail`), digests by
``flask --app app notify digest``.  Time-driven facts (an overdue stage, a passed milestone, a due
restoration) are announced once: :func:`announce_once` keeps a mark per fact.

Event functions take plain values, never other domains' objects, so every domain may call them.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import current_app, has_app_context
from sqlalchemy import event, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from ... import access
from ...errors import BadParameter, NotFound, PreconditionFailed, Unprocessable
from ...i18n import pick, translate
from ...models import Notification, NotificationMark, NotificationSetting, User
from . import audit, mail

LOGGER = logging.getLogger(__name__)
AUTHOR = ()  # personal events: only the users named by the event (an import's author)
EMAIL_MODES = ("off", "immediate", "digest")
SEVERITIES = ("info", "warning", "violation")
MAX_LIST = 200
GROUP_ABOVE = 5  # more items than this in one event become one summary notice


@dataclass(frozen=True)
class Event:
    """A kind of notification: its labels and the roles it goes to by default."""

    code: str
    label: str
    label_en: str
    roles: tuple[str, ...]
    description: str


EVENTS: dict[str, Event] = {e.code: e for e in (
    Event("flag_raised", "新的或重新打开的侵占预警", "New or reopened encroachment flag", access.PLANNERS,
          "项目与保护区、水体重叠或临近，新标记或情况变化重新打开（违规单独标出）"),
    Event("flag_closed", "侵占预警已豁免或已整改", "Encroachment flag waived or resolved", access.PLANNERS,
          "有人将标记设为豁免或已整改"),
    Event("review_issued", "两型审查报告已出具", "Two-oriented review report issued", access.PLANNERS,
          "项目的两型审查报告编号出具"),
    Event("project_blocked", "项目因两型审查未通过被阻止", "Project blocked by a failed review", access.PLANNERS,
          "审查未通过的项目不得实施（二(七)2(3)）"),
    Event("stage_overdue", "企业搬迁阶段逾期", "Enterprise relocation stage overdue", access.RELOCATION,
          "企业的计划日期已过而未到达该阶段"),
    Event("milestone_missed", "搬迁目标期限已过仍有企业未达到", "Relocation milestone passed with enterprises short",
          access.RELOCATION, "一年展开、三年攻坚、五年基本完成搬迁、2022年整体完成搬迁"),
    Event("restoration_deadline", "工程生态修复即将到期或逾期", "Project restoration due soon or overdue",
          access.PLANNERS, "工程竣工一年内须完成生态修复（二(三)4(2)）"),
    Event("remediation_deadline", "企业场地修复即将到期或逾期", "Site remediation due soon or overdue",
          access.RELOCATION, "场地调查与修复在搬迁办设定的期限内完成"),
    Event("import_finished", "导入完成", "Import finished", AUTHOR, "您发起的导入已写入"),
    Event("import_failed", "导入失败", "Import failed", AUTHOR, "您发起的导入未能写入"),
    Event("index_published", "两型社会建设指数报告发布", "Two-oriented index report published", access.ANY_USER,
          "年度两型社会建设指数报告编号发布"),
)}


def event_label(code: str) -> str:
    """Return an event's label in the current language."""
    found = EVENTS.get(code)
    return pick(found.label, found.label_en) if found else code


# ---------------------------------------------------------------- settings

def _setting(session: Session, user_id: int, lock: bool = False) -> NotificationSetting | None:
    return session.get(NotificationSetting, user_id, with_for_update=lock or None)


def wants(event_code: str, user: User, setting: NotificationSetting | None, named: set[str] | None) -> bool:
    """Tell whether ``user`` receives ``event_code`` (their choice, else the event's default audience)."""
    ev = EVENTS[event_code]
    if not ev.roles:  # personal: only the users the event names
        if named is None or user.username not in named:
            return False
        return (setting.events if setting else {}).get(event_code, True) is not False
    chosen = (setting.events if setting else {}).get(event_code)
    if chosen is not None:
        return bool(chosen)
    return user.role in ev.roles


def email_enabled() -> bool:
    """Tell whether an SMTP server is configured (``SMTP_HOST``)."""
    return has_app_context() and bool(current_app.config.get("SMTP_HOST"))


def settings_of(session: Session, user: User) -> dict:
    """Return a user's settings: every event with whether it is on, e-mail address and mode, version."""
    setting = _setting(session, user.id)
    events = [{"event": e.code, "label": pick(e.label, e.label_en), "description": translate(e.description),
               "on": wants(e.code, user, setting, {user.username}),
               "default": (user.role in e.roles) if e.roles else True, "personal": not e.roles}
              for e in EVENTS.values()]
    return {"events": events, "email": setting.email if setting else None,
            "email_mode": setting.email_mode if setting else "off", "email_available": email_enabled(),
            "version": setting.version if setting else 0}


def settings_etag(version: int) -> str:
    """Return the ETag of a user's settings at ``version``."""
    return f'"notification-settings-v{version}"'


def _check_email(address: object) -> str | None:
    if address in (None, ""):
        return None
    if not isinstance(address, str) or len(address) > 254 or address.count("@") != 1 or any(
            c.isspace() or c in "<>,;\"\\" for c in address):
        raise Unprocessable("电子邮箱地址格式不正确", code="bad_email", details={"field": "email"})
    local, domain = address.split("@")
    if not local or "." not in domain.strip(".") or domain.startswith(".") or domain.endswith("."):
        raise Unprocessable("电子邮箱地址格式不正确", code="bad_email", details={"field": "email"})
    return address


def update_settings(session: Session, user: User, body: object, if_match: str | None) -> dict:
    """Change a user's settings (``events`` {code: bool}, ``email``, ``email_mode``); audited; commits."""
    if not isinstance(body, dict):
        raise BadParameter("请求体须为 JSON 对象", code="bad_body")
    unknown = set(body) - {"events", "email", "email_mode"}
    if unknown:
        name = sorted(unknown)[0]
        raise BadParameter(f"未知字段 {name[:40]!r}", code="unknown_field", details={"field": name[:40]})
    setting = _setting(session, user.id, lock=True)
    current = setting.version if setting else 0
    if if_match is not None and settings_etag(current) not in [t.strip() for t in if_match.split(",")]:
        raise PreconditionFailed("设置已在别处修改，请刷新后重试", code="stale_version",
                                 details={"etag": settings_etag(current)})
    events = body.get("events", None)
    if events is not None:
        if not isinstance(events, dict):
            raise Unprocessable("events 须为 {事件: true/false}", code="bad_events", details={"field": "events"})
        for code, on in events.items():
            if code not in EVENTS:
                raise Unprocessable(f"未知事件 {str(code)[:40]!r}", code="unknown_event", details={"field": "events"})
            if not isinstance(on, bool):
                raise Unprocessable("events 的值须为 true/false", code="bad_events", details={"field": "events"})
    mode = body.get("email_mode", setting.email_mode if setting else "off")
    if mode not in EMAIL_MODES:
        raise Unprocessable("email_mode 须为 off、immediate 或 digest", code="bad_email_mode",
                            details={"field": "email_mode"})
    email = _check_email(body["email"]) if "email" in body else (setting.email if setting else None)
    if mode != "off" and not email:
        raise Unprocessable("选择邮件通知须填写电子邮箱", code="email_required", details={"field": "email"})
    before = None
    if setting is None:
        setting = NotificationSetting(user_id=user.id, events={}, email_mode="off", version=0)
        session.add(setting)
    else:
        before = {"events": dict(setting.events or {}), "email": setting.email, "email_mode": setting.email_mode}
    if events is not None:
        # Store only the choices that differ from the event's default, so a later default still applies.
        merged = dict(setting.events or {})
        for code, on in events.items():
            default = (user.role in EVENTS[code].roles) if EVENTS[code].roles else True
            if on == default:
                merged.pop(code, None)
            else:
                merged[code] = on
        setting.events = merged
    setting.email, setting.email_mode = email, mode
    setting.version = (setting.version or 0) + 1
    setting.updated_at = datetime.now(UTC)
    audit.record(session, username=user.username, action="update_notification_settings",
                 object_type="notification_settings", object_id=user.username, before=before,
                 after={"events": dict(setting.events), "email": email, "email_mode": mode})
    session.commit()
    return settings_of(session, user)


# ---------------------------------------------------------------- sending

def notify(session: Session, event_code: str, *, title: str, body: str | None = None, link: str | None = None,
           severity: str = "info", object_type: str | None = None, object_id: object = None,
           actor: str | None = None, usernames: list[str] | None = None) -> int:
    """Add one notice of ``event_code`` per recipient to ``session`` (the caller commits); return how many.

    ``usernames`` names the recipients of a personal event (an import's author); ``actor``, the user who
    caused the event, is left out of the recipients of events for a role.
    """
    if event_code not in EVENTS:
        raise ValueError(f"unknown event {event_code}")
    if severity not in SEVERITIES:
        severity = "info"
    named = set(usernames) if usernames is not None else None
    rows = session.execute(select(User, NotificationSetting)
                           .outerjoin(NotificationSetting, NotificationSetting.user_id == User.id)
                           .where(User.is_active.is_(True))).all()
    mail = email_enabled()
    count = 0
    for user, setting in rows:
        if not wants(event_code, user, setting, named):
            continue
        if EVENTS[event_code].roles and actor and user.username == actor:
            continue
        state = None
        if mail and setting is not None and setting.email and setting.email_mode in ("immediate", "digest"):
            state = setting.email_mode
        session.add(Notification(
            user_id=user.id, event=event_code, severity=severity, title=title[:2000], body=(body or None),
            link=(link or None) and link[:300], object_type=object_type,
            object_id=None if object_id is None else str(object_id)[:64], actor=actor, email_state=state,
            email_attempts=0))
        count += 1
        if state == "immediate":
            session.info["notifications_to_mail"] = True
    return count


def announce_once(session: Session, event_code: str, keys: list[str]) -> list[str]:
    """Return the keys of ``keys`` not announced before, marking them announced (in the caller's transaction)."""
    if not keys:
        return []
    stmt = insert(NotificationMark).values([{"key": k[:200], "event": event_code} for k in dict.fromkeys(keys)])
    fresh = session.scalars(stmt.on_conflict_do_nothing(index_elements=["key"]).returning(NotificationMark.key))
    return list(fresh)


def _after_commit(session: Session) -> None:
    """Send immediate e-mail for the notices this commit stored (in a thread: the request does not wait)."""
    if not session.info.pop("notifications_to_mail", False) or not has_app_context():
        return
    mail.send_soon(current_app._get_current_object())


def _after_rollback(session: Session) -> None:
    session.info.pop("notifications_to_mail", None)


def init_app(app) -> None:
    """Send immediate e-mail after each commit that stored notices for it (registered once)."""
    if not event.contains(Session, "after_commit", _after_commit):
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_soft_rollback", lambda s, _t: _after_rollback(s))


# ---------------------------------------------------------------- the inbox

def as_dict(n: Notification) -> dict:
    """Return the JSON view of a notice (title and body in the reader's language)."""
    return {"id": n.id, "event": n.event, "event_label": event_label(n.event), "severity": n.severity,
            "title": translate(n.title), "body": translate(n.body) if n.body else None, "link": n.link,
            "object_type": n.object_type, "object_id": n.object_id, "actor": n.actor,
            "created_at": n.created_at.isoformat() if n.created_at else None, "read": n.read_at is not None,
            "read_at": n.read_at.isoformat() if n.read_at else None}


def inbox(session: Session, user: User, unread: bool | None = None, event_code: str | None = None,
          limit: int = 50, offset: int = 0) -> tuple[list[Notification], int]:
    """Return the user's notices newest first (filtered) and how many match."""
    if event_code is not None and event_code not in EVENTS:
        raise BadParameter(f"未知事件 {event_code[:40]!r}", code="unknown_event", details={"parameter": "event"})
    clauses = [Notification.user_id == user.id]
    if unread is True:
        clauses.append(Notification.read_at.is_(None))
    elif unread is False:
        clauses.append(Notification.read_at.is_not(None))
    if event_code:
        clauses.append(Notification.event == event_code)
    rows = session.scalars(select(Notification).where(*clauses).order_by(Notification.id.desc())
                           .limit(min(limit, MAX_LIST)).offset(offset)).all()
    total = session.scalar(select(func.count()).select_from(Notification).where(*clauses))
    return list(rows), total


def unread_count(session: Session, user: User) -> int:
    """Return how many of the user's notices are unread (the bell)."""
    return session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None))) or 0


def mark_read(session: Session, user: User, notification_id: int) -> Notification:
    """Mark one of the user's notices read (again: no change); 404 for anyone else's; commits."""
    found = session.get(Notification, notification_id) if 0 < notification_id <= 2**63 - 1 else None
    if found is None or found.user_id != user.id:
        raise NotFound("通知不存在", code="unknown_notification")
    if found.read_at is None:
        found.read_at = datetime.now(UTC)
        session.commit()
    return found


def mark_all_read(session: Session, user: User, event_code: str | None = None) -> int:
    """Mark all the user's unread notices (of one event) read; return how many; commits."""
    if event_code is not None and event_code not in EVENTS:
        raise BadParameter(f"未知事件 {event_code[:40]!r}", code="unknown_event", details={"parameter": "event"})
    stmt = update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    if event_code:
        stmt = stmt.where(Notification.event == event_code)
    done = session.execute(stmt.values(read_at=datetime.now(UTC))).rowcount
    session.commit()
    return done


# ---------------------------------------------------------------- the events

SEVERITY_WORDS = {"violation": "违规", "review": "需审查", "warning": "提示"}
SEVERITY_OF_FLAG = {"violation": "violation", "review": "warning", "warning": "info"}
FLAG_RANK = {"violation": 0, "review": 1, "warning": 2}


def flags_raised(session: Session, items: list[dict], username: str | None) -> int:
    """Announce new or reopened flags (change-report items: flag_id, project_id, project, rule_name, severity).

    One notice per project (violations named first); a bulk re-check raising flags on many projects
    gives one summary notice instead.
    """
    if not items:
        return 0
    by_project: dict[int, list[dict]] = {}
    for item in items:
        by_project.setdefault(item["project_id"], []).append(item)
    actor = username if username not in (None, "system", "sample-loader") else None
    if len(by_project) > GROUP_ABOVE:
        violations = sum(1 for i in items if i.get("severity") == "violation")
        return notify(session, "flag_raised", severity="violation" if violations else "warning",
                      title=f"{len(by_project)} 个项目新增或重新打开侵占预警 {len(items)} 项"
                            f"（其中违规 {violations} 项）",
                      body="、".join(sorted({i["project"] for i in items}))[:1500], link="/flags/?status=open",
                      object_type="encroachment_flags", actor=actor)
    sent = 0
    for project_id, found in by_project.items():
        found.sort(key=lambda i: FLAG_RANK.get(i.get("severity"), 9))
        worst = found[0].get("severity", "warning")
        what = "、".join(f"{i['rule_name']}（{SEVERITY_WORDS.get(i.get('severity'), i.get('severity'))}）"
                        for i in found)
        prefix = "【违规】" if worst == "violation" else ""
        sent += notify(session, "flag_raised", severity=SEVERITY_OF_FLAG.get(worst, "info"),
                       title=f"{prefix}项目“{found[0]['project']}”新增或重新打开侵占预警：{what}",
                       link=f"/flags/projects/{project_id}", object_type="projects", object_id=project_id,
                       actor=actor)
    return sent


def flag_closed(session: Session, *, flag_id: int, project_id: int, project_name: str, rule_name: str,
                status: str, reason: str | None, username: str) -> int:
    """Announce that a flag was waived or resolved (to planners and admins other than the one who did it)."""
    word = {"waived": "豁免", "resolved": "整改完成"}.get(status)
    if word is None:
        return 0
    return notify(session, "flag_closed", title=f"项目“{project_name}”的侵占预警“{rule_name}”已{word}（{username}）",
                  body=reason, link=f"/flags/projects/{project_id}", object_type="encroachment_flag",
                  object_id=flag_id, actor=username)


CONCLUSION_WORDS = {"pass": "通过", "needs_review": "需审查", "fail": "不通过"}


def review_issued(session: Session, *, report_id: int, number: str, project_id: int, project_name: str,
                  conclusion: str, username: str) -> int:
    """Announce an issued review report."""
    word = CONCLUSION_WORDS.get(conclusion, conclusion)
    return notify(session, "review_issued", severity="violation" if conclusion == "fail" else "info",
                  title=f"项目“{project_name}”的两型审查报告 {number} 已出具：{word}",
                  link=f"/flags/projects/{project_id}", object_type="review_report", object_id=report_id,
                  actor=username)


def project_blocked(session: Session, *, project_id: int, project_name: str, report_number: str | None = None,
                    reason: str | None = None, username: str | None = None) -> int:
    """Announce that a project is blocked by a failed two-oriented review (to planners and admins).

    Call it where the block is decided, in the transaction that records it (the notice commits with it).
    Repeated calls for the same project and report announce it once.
    """
    key = f"project_blocked:{project_id}:{report_number or ''}"
    if not announce_once(session, "project_blocked", [key]):
        return 0
    basis = f"（审查报告 {report_number}）" if report_number else ""
    return notify(session, "project_blocked", severity="violation",
                  title=f"项目“{project_name}”两型审查未通过，不得实施{basis}", body=reason,
                  link=f"/flags/projects/{project_id}", object_type="projects", object_id=project_id,
                  actor=username)


def import_finished(session: Session, *, username: str, import_id: int, filename: str, count: int,
                    collection: str) -> int:
    """Tell the author that an import was written."""
    return notify(session, "import_finished", title=f"导入完成：{filename}，{count} 个要素写入图层 {collection}",
                  link=f"/exchange/imports/{import_id}", object_type="data_import", object_id=import_id,
                  usernames=[username])


def import_failed(session: Session, *, username: str, import_id: int, filename: str, message: str) -> int:
    """Tell the author that an import could not be written (nothing was stored)."""
    return notify(session, "import_failed", severity="warning", title=f"导入失败：{filename}", body=message,
                  link=f"/exchange/imports/{import_id}", object_type="data_import", object_id=import_id,
                  usernames=[username])


def index_published(session: Session, *, report_id: int, number: str, year: int, value: float | None,
                    username: str) -> int:
    """Announce a published 两型社会建设指数 report (to everyone)."""
    shown = "—" if value is None else f"{value:.1f}"
    return notify(session, "index_published", title=f"{year} 年两型社会建设指数报告 {number} 发布：指数 {shown}",
                  link=f"/api/plan-indicators/index/reports/{report_id}.pdf", object_type="index_report",
                  object_id=report_id, actor=username)


def deadlines(session: Session, event_code: str, facts: list[dict], *, link: str, noun: str) -> int:
    """Announce time-driven facts once each: ``facts`` are {key, title, link, severity}; many become one notice.

    ``noun`` names the facts in a summary ("家企业搬迁阶段逾期").
    """
    fresh = set(announce_once(session, event_code, [f["key"] for f in facts]))
    new = [f for f in facts if f["key"] in fresh]
    if not new:
        return 0
    if len(new) > GROUP_ABOVE:
        worst = "violation" if any(f.get("severity") == "violation" for f in new) else "warning"
        return notify(session, event_code, severity=worst, title=f"新增 {len(new)} {noun}",
                      body="\n".join(f["title"] for f in new[:50]), link=link)
    return sum(notify(session, event_code, severity=f.get("severity", "warning"), title=f["title"],
                      link=f.get("link") or link, object_type=f.get("object_type"), object_id=f.get("object_id"))
               for f in new)
