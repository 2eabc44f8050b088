"""How a URL is shown in reports, errors and stored batch records: never with its password.

One home for the decision (the store, the nightly job, the report, the SQL loader and the sources
each used to carry a copy, and three of them showed an unparsable URL as given, password and all).
"""

from __future__ import annotations

import re
from typing import Final

#: ``scheme://user:secret@host`` -> ``scheme://user:***@host`` for text SQLAlchemy cannot parse.
_USERINFO_PASSWORD: Final = re.compile(r"://([^:/@\s]*):[^@/\s]*@")


def display_url(url: str) -> str:
    """``url`` with its password replaced by ``***`` (a database URL through SQLAlchemy's own
    rendering; anything else, parsable or not, by masking the userinfo's password)."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError, TypeError):
        return _USERINFO_PASSWORD.sub(r"://\1:***@", str(url))
