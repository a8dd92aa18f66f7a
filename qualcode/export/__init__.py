"""Renderers of analysis tables: csv, Markdown, LaTeX, xlsx, JSON, and heatmaps."""
