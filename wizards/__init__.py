from . import magento_operation_wizard
