from indigo.cli import main

raise SystemExit(main())
