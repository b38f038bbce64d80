from . import (
    magento_instance,
    magento_payment_method,
    magento_process_log,
    magento_process_log_line,
    sale_order,
    sale_order_line,
)
from . import account_move
from . import magento_invoice_exporter
from . import magento_order_importer
