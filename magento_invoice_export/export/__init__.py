"""The Odoo side of the export, one room a responsibility (docs/architecture.md):
runs (entry points), background (queued runs), stream (a run's requests), jobs
(what each document sends), checks (what is not sent), outcomes (what is
recorded), lookups (numbers, lost answers), locks (locks and commits), advice
(what to do), sink (notes, lines and commits gathered) and const. The plain-Python rules stay in ../magento_export."""

from . import runs
from . import activities, advice, background, checks, jobs, locks, lookups, outcomes
