"""Old home of the nightly job, kept so earlier imports (``from forensics.batch import
classify_paths``) keep working: the job now lives in rooms under :mod:`forensics.nightly`.

``--fail-on`` parsing and exit codes moved to the CLI (:mod:`forensics.cli.fail_on`): the library
returns a summary, the CLI decides how the process ends.
"""

from __future__ import annotations

from forensics.nightly import *  # noqa: F403
from forensics.nightly import __all__ as __all__
