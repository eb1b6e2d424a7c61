"""`python -m mockserver`: the same as the `seedance-mock` command."""

from mockserver.cli import main

raise SystemExit(main())
