"""Personal data in ossmetrics: what writers may show of people, and people's rights.

- ``redact``: find and hide email addresses (``scrub_text``, ``scrub_frame``, ``scrub_tree``);
- ``options``: ``PrivacyOptions`` (default, masked identity keys, ``--publish`` pseudonyms);
- ``view``: ``PeopleView``, which every writer asks how to name a person or an identity;
- ``forget`` (imported on its own: it rewrites collector tables): ``people forget|export``.

See docs/privacy.md for what is stored, why, for how long, and how to answer requests.
"""

from ossmetrics.privacy.options import SALT_ENV, PrivacyOptions, pseudonym
from ossmetrics.privacy.redact import EMAIL_RE, find_emails, scrub_frame, scrub_text, scrub_tree
from ossmetrics.privacy.view import PeopleView

__all__ = [
    "EMAIL_RE",
    "SALT_ENV",
    "PeopleView",
    "PrivacyOptions",
    "find_emails",
    "pseudonym",
    "scrub_frame",
    "scrub_text",
    "scrub_tree",
]
