from . import test_magento_instance
from . import test_access_rights
from . import test_export_invoice
from . import test_export_reliability
from . import test_import_orders
from . import test_lifecycle
from . import test_tour
from . import test_export_creditmemo
