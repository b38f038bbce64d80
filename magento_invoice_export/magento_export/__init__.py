"""The invoice export's rules, in plain Python (no Odoo import).

* :mod:`.payload`: what Magento receives for an Odoo invoice, and how to
  recognise an invoice Magento already holds for it;
* :mod:`.policy`: when an invoice may be exported, and what a failure means;
* :mod:`.pipeline`: several requests in flight, one order's invoices in sequence.

The Odoo side (../export/, docs/architecture.md) gathers the data, calls
these, and records the outcome.
"""
