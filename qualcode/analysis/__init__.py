"""Analyses: co-occurrence, crosstabs and inter-coder agreement.

``cooccurrence``, ``crosstab`` and ``agreement`` are pure functions over numpy arrays (no I/O);
``units`` loads the corpus into arrays in a few queries; ``service`` joins both and returns
reports that ``qualcode.export`` renders.
"""
