"""Webhooks: endpoints, the durable outbox of deliveries, and the delivery worker."""

from leadscore.service.webhooks.outbox import enqueue_deliveries

__all__ = ["enqueue_deliveries"]
