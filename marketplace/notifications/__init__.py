"""Notifications: an outbox written in the same transaction as the event that causes it.

`notify()` adds one `Notification` per recipient to the caller's transaction (a rolled-back event
notifies nobody). The in-app inbox shows every notification to its recipient; e-mail goes out later,
from `flask --app marketplace notifications deliver`, at most once per notification even with several
deliverers running (`delivery.py`). What each event tells whom lives next to its lifecycle, in the
domain's `notifications.py`; the kinds a person can switch off are declared in `kinds.py`.
"""
