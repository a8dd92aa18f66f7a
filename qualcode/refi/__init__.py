"""REFI-QDA project exchange (.qdpx): export the corpus, import projects from other tools.

`export_qdpx(session, path)` and `import_qdpx(session, path, coder=...)` are the services;
`read_qdpx(path)` reads a file without touching the database.
"""
