"""spaCy-assisted code suggestions: pipeline, cached analyses, scorers, service, review loop.

Importing this package imports neither spaCy nor numpy; the modules that need them do.
"""
