"""The exchange's browser URLs, gathered from one module per area."""

from marketplace.exchange.urls import lab_evaluation, lab_jobs, notifications, vendor_jobs

lab_patterns = lab_jobs.lab_patterns + lab_evaluation.lab_patterns
vendor_patterns = vendor_jobs.vendor_patterns
site_patterns = notifications.site_patterns
