"""An app that fails to import: its vassal never becomes healthy (with `need-app`)."""
raise RuntimeError("this app always fails to load")
