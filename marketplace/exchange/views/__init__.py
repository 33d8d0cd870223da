"""Browser views of the exchange, one module per area: the lab's jobs, the lab's
evaluation of bids and screenings, the vendor's jobs and bids, notifications."""
