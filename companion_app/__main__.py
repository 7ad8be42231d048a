"""`python -m companion_app ...`: see companion_app.cli."""

from companion_app.cli import main

raise SystemExit(main())
