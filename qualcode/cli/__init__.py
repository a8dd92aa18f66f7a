"""The `qualcode` command line: thin Typer wrappers over the services."""
