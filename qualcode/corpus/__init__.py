"""Corpus services: documents, segments, agents and coders in the database."""
