"""qualcode: a terminal toolkit for qualitative research on French interviews and fieldnotes.

The Python API (see docs/python-api.md)::

    import qualcode

    db = qualcode.open_db("these.db")
    qualcode.ingest_paths(db, ["entretiens/"], kind="interview")
    with db.session(write=True) as s:
        qualcode.import_codebook(s, qualcode.read_codebook_file("codebook.yaml"))

Every name below is imported on first use (module ``__getattr__``), so ``import qualcode``
loads neither SQLAlchemy, numpy nor spaCy: the CLI starts fast and a notebook pays only for
what it calls.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> (module, name there). No public name may equal a subpackage's name
# (`suggest`, `coding`...): importing the subpackage would replace the attribute.
_EXPORTS: dict[str, tuple[str, str]] = {
    # the corpus
    "open_db": ("qualcode.api", "open_db"),
    "Database": ("qualcode.db", "Database"),
    # documents and agents
    "ingest_paths": ("qualcode.corpus.ingest", "ingest_paths"),
    "IngestResult": ("qualcode.corpus.ingest", "IngestResult"),
    "import_agents": ("qualcode.corpus.agents", "import_agents"),
    "list_agents": ("qualcode.corpus.agents", "list_agents"),
    # the codebook
    "Codebook": ("qualcode.codebook.model", "Codebook"),
    "read_codebook_file": ("qualcode.codebook.service", "read_codebook_file"),
    "import_codebook": ("qualcode.codebook.service", "import_codebook"),
    "load_codebook": ("qualcode.codebook.service", "load_codebook"),
    "export_codebook": ("qualcode.codebook.service", "export_codebook"),
    # coding and retrieval
    "apply_codes": ("qualcode.coding.service", "apply_codes"),
    "remove_code": ("qualcode.coding.service", "remove_code"),
    "find_segments": ("qualcode.coding.retrieve", "find_segments"),
    # suggestions (loads spaCy when called)
    "suggest_codes": ("qualcode.suggest.service", "suggest"),
    # analysis
    "cooccurrence_report": ("qualcode.analysis.service", "cooccurrence_report"),
    "crosstab_report": ("qualcode.analysis.service", "crosstab_report"),
    "agreement_report": ("qualcode.analysis.service", "agreement_report"),
    # errors: each carries the message and the hint a user needs
    "QualcodeError": ("qualcode.errors", "QualcodeError"),
    "NotFound": ("qualcode.errors", "NotFound"),
    "AlreadyExists": ("qualcode.errors", "AlreadyExists"),
    "InvalidInput": ("qualcode.errors", "InvalidInput"),
    "Conflict": ("qualcode.errors", "Conflict"),
    "DatabaseError": ("qualcode.errors", "DatabaseError"),
    # typed shapes of the JSON contract
    "IngestedFile": ("qualcode.results", "IngestedFile"),
    "AgentsImported": ("qualcode.results", "AgentsImported"),
    "CodesApplied": ("qualcode.results", "CodesApplied"),
    "Cooccurrence": ("qualcode.results", "Cooccurrence"),
    "CooccurrenceTable": ("qualcode.results", "CooccurrenceTable"),
}

__all__ = [  # the same names as _EXPORTS (a test checks it): static, for tools
    "__version__", "open_db", "Database", "ingest_paths", "IngestResult", "import_agents",
    "list_agents", "Codebook", "read_codebook_file", "import_codebook", "load_codebook",
    "export_codebook", "apply_codes", "remove_code", "find_segments", "suggest_codes",
    "cooccurrence_report", "crosstab_report", "agreement_report", "QualcodeError", "NotFound",
    "AlreadyExists", "InvalidInput", "Conflict", "DatabaseError", "IngestedFile", "AgentsImported",
    "CodesApplied", "Cooccurrence", "CooccurrenceTable",
]

if TYPE_CHECKING:  # what type checkers and editors see; at run time __getattr__ loads them
    from .analysis.service import agreement_report, cooccurrence_report, crosstab_report
    from .api import open_db
    from .codebook.model import Codebook
    from .codebook.service import (
        export_codebook,
        import_codebook,
        load_codebook,
        read_codebook_file,
    )
    from .coding.retrieve import find_segments
    from .coding.service import apply_codes, remove_code
    from .corpus.agents import import_agents, list_agents
    from .corpus.ingest import IngestResult, ingest_paths
    from .db import Database
    from .errors import (
        AlreadyExists,
        Conflict,
        DatabaseError,
        InvalidInput,
        NotFound,
        QualcodeError,
    )
    from .results import (
        AgentsImported,
        CodesApplied,
        Cooccurrence,
        CooccurrenceTable,
        IngestedFile,
    )
    from .suggest.service import suggest as suggest_codes


def __getattr__(name: str) -> Any:
    try:
        module, attr = _EXPORTS[name]
    except KeyError:
        raise AttributeError(f"module 'qualcode' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module), attr)
    globals()[name] = value  # the next access is a plain lookup
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
