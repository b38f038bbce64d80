"""The export's constants, in one place (read as ``const.NAME`` where a test
or a tool may change them: BATCH_SIZE, EDGE_BATCH_SIZE)."""

from ..magento_client.calls import RESOURCE_PROBES
from ..magento_export.policy import DOCUMENTS

BATCH_SIZE = 200
# The first batch of a run, and the last BATCH_SIZE documents, go in batches
# this small: Magento gets its first request sooner, and the last batch's
# closing (numbers, notes), which no request overlaps, is short.
EDGE_BATCH_SIZE = 40
# More documents than this, asked for from a screen, are exported in the
# background (ir.config_parameter magento_invoice_export.background_threshold).
DEFAULT_BACKGROUND_THRESHOLD = 20
# Outcomes committed together: at most this many, at most this many seconds old.
COMMIT_EVERY = 50
COMMIT_SECONDS = 2.0
# Seconds a thread may hold the GIL while another waits, during a batch's requests.
GIL_SWITCH_INTERVAL = 0.0001
# Exported documents announced (number, note, log line) between two answers.
ANNOUNCE_CHUNK = 50
# First key of our advisory locks ("MAGE"), the second being the document's id.
LOCK_NAMESPACE = 0x4D414745
FIELDS_READ_AFTER_LOCK = ["magento_invoice_id", "magento_export_sent_at", "magento_export_attempts", "state"]
# Each document's run, in this order: a credit memo needs its invoice in Magento first.
MOVE_TYPES = {document: move_type for move_type, document in DOCUMENTS.items()}
OPERATIONS = {"invoice": "export_invoice", "creditmemo": "export_creditmemo"}

# The OAuth fields Magento names in its 400s, as the instance form labels them.
CREDENTIAL_NAMES = {
    "oauth_consumer_key": "Consumer Key",
    "oauth_token": "Access Token",
}
# The integration's API resources the runs use, as Magento's admin shows them
# (System > Extensions > Integrations > API), in the order Test Connection asks.
RESOURCE_NAMES = {
    "Magento_Sales::sales_invoice": "Sales > Operations > Invoices",
    "Magento_Sales::actions_view": "Sales > Operations > Orders > Actions > View",
    "Magento_Sales::invoice": "Sales > Operations > Orders > Actions > Invoice",
    "Magento_Sales::creditmemo": "Sales > Operations > Orders > Actions > Credit Memos",
    "Magento_Sales::sales_creditmemo": "Sales > Operations > Credit Memos",
    "Magento_Backend::store": "Stores > Settings > All Stores",
}
assert set(RESOURCE_NAMES) == {resource for resource, _method, _path in RESOURCE_PROBES}
