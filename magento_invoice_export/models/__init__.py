from . import (
    magento_instance,
    magento_instance_activity,
    magento_instance_dashboard,
    magento_payment_method,
    magento_process_log,
    magento_process_log_line,
    sale_order,
    sale_order_line,
)
from . import account_move, account_move_bulk, account_move_guards, account_move_status
from . import magento_order_importer
