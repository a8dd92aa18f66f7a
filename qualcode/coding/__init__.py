"""Coding services: apply and remove codes, CSV exchange, retrieval, excerpts, memos.

Plain functions taking a ``session``; every change of codings or memos is audited, so
``qualcode undo`` reverts it exactly. The CLI (``qualcode/cli/coding.py``) only parses and
renders.
"""
