"""The inbox (`/notifications`) and the e-mail preferences (`/account/notifications`)."""

from __future__ import annotations

from flask import Blueprint, flash, has_request_context, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from marketplace.extensions import db
from marketplace.notifications import services
from marketplace.notifications.kinds import KINDS

inbox = Blueprint("notifications", __name__)

PAGE_SIZE = 50


def unread_in_header() -> dict:
    """The unread count in every page's header (one query, only for a signed-in person)."""
    if not has_request_context() or not current_user.is_authenticated:
        return {}
    return {"unread_notifications": services.unread_count(current_user)}


@inbox.route("/notifications")
@login_required
def index():
    unread_only = request.args.get("unread") == "1"
    notes = db.session.scalars(services.inbox_stmt(current_user, unread_only=unread_only).limit(PAGE_SIZE)).all()
    return render_template("notifications/inbox.html", notes=notes, unread_only=unread_only, kinds=KINDS)


@inbox.route("/notifications/<int:notification_id>/read", methods=["POST"])
@login_required
def read(notification_id: int):
    """Mark one read; with `open=1`, go on to what it is about."""
    note = services.mark_read(services.get_notification_or_404(current_user, notification_id))
    db.session.commit()
    if request.form.get("open") == "1" and note.link:
        return redirect(note.link)
    return redirect(url_for("notifications.index"))


@inbox.route("/notifications/read-all", methods=["POST"])
@login_required
def read_all():
    count = services.mark_all_read(current_user)
    db.session.commit()
    flash(f"{count} notification{'s' if count != 1 else ''} marked read." if count else "Nothing was unread.",
          "success")
    return redirect(url_for("notifications.index"))


@inbox.route("/account/notifications", methods=["GET", "POST"])
@login_required
def preferences():
    if request.method == "POST":
        chosen = {kind: request.form.get(kind) == "on" for kind in KINDS}
        services.set_preferences(current_user._get_current_object(), chosen)
        db.session.commit()
        flash("Your e-mail choices are saved. The inbox still shows everything.", "success")
        return redirect(url_for("notifications.preferences"))
    return render_template("notifications/preferences.html", kinds=KINDS,
                           chosen=services.preferences_of(current_user))
