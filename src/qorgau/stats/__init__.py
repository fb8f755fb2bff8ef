"""Statistics (policy 2.1 P4, 4.1; appendix: depersonalisation; LAW.md Art. 17 p.1):
depersonalised facts written before a subject is destroyed, k-anonymous reports over them,
and exports to third parties recorded with recipient, report and time."""

from qorgau.stats.export import report_csv, report_json
from qorgau.stats.facts import REGIONS, Fact, depersonalise, region_of
from qorgau.stats.model import (
    AGE_BANDS,
    AMOUNT_BANDS,
    ATTRIBUTES,
    DEFAULT_K,
    MIN_K,
    OUTCOMES,
    SOURCE_FIELDS,
    InvalidFact,
    InvalidK,
    InvalidReport,
    parse_by,
    validate_k,
)
from qorgau.stats.suppression import Cell, Published, Report, suppress

__all__ = [
    "AGE_BANDS",
    "AMOUNT_BANDS",
    "ATTRIBUTES",
    "DEFAULT_K",
    "MIN_K",
    "OUTCOMES",
    "REGIONS",
    "SOURCE_FIELDS",
    "Cell",
    "Fact",
    "InvalidFact",
    "InvalidK",
    "InvalidReport",
    "Published",
    "Report",
    "depersonalise",
    "parse_by",
    "region_of",
    "report_csv",
    "report_json",
    "suppress",
    "validate_k",
]
