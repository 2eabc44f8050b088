"""``python -m forensics.cli``: the same as the ``forensics`` console script."""

from forensics.cli.entry import main

main()
