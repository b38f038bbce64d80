from . import magento_operation_wizard
from . import magento_invoice_link_wizard
