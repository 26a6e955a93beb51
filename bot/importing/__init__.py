"""Reading `retention-bot import customers|purchases FILE`: CSV/XLSX → validated plain records.

No database here: the caller persists `ImportResult.records` and reports `bad_rows`
(each `str(bad_row)` reads "line N: reason"). Decisions on formats are documented in
bot/text/amounts.py (money, read the same way by /crm), dates.py (dates), fields.py (phones,
languages, tags, currencies), identity.py (generated order ids) and csv_source.py (encodings).
"""

from .errors import ImportFileError
from .pipeline import Progress, read_customers, read_purchases
from .records import CustomerRecord, Language, PurchaseRecord
from .result import BadRow, ImportResult

__all__ = [
    "BadRow",
    "CustomerRecord",
    "ImportFileError",
    "ImportResult",
    "Language",
    "Progress",
    "PurchaseRecord",
    "read_customers",
    "read_purchases",
]
