"""``python -m hotpatrol``: runs the command-line interface (same as the ``hotpatrol`` command)."""

from hotpatrol.cli import main

main()
