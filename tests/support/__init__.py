"""Helpers shared by several test modules (a corpus to code, REFI-QDA snapshots).

``tests/`` is on ``sys.path`` when pytest runs, so a test imports them as
``from support.coding import build_corpus``.
"""
