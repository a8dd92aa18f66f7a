"""Readers: a file path becomes normalised text, segments, speakers and metadata."""
