"""Webhooks: endpoints, the durable outbox of deliveries, signatures and the delivery worker.

See docs/webhooks.md. Nothing here runs at import time; the HTTP routes and the service call
these functions, each with a store (one connection) of the workspace.
"""

from leadscore.service.webhooks.delivery import (
    DeliveryWorker,
    backoff_s,
    deliver_due,
    delivery_log,
    get_delivery,
    retry,
    send_test,
)
from leadscore.service.webhooks.endpoints import (
    Endpoint,
    Filter,
    InvalidWebhook,
    WebhookError,
    WebhookNotFound,
    create_endpoint,
    delete_endpoint,
    get_endpoint,
    list_endpoints,
    rotate_secret,
    update_endpoint,
    validate_url,
)
from leadscore.service.webhooks.outbox import enqueue_deliveries
from leadscore.service.webhooks.signing import sign, verify
from leadscore.service.webhooks.transport import Post, http_post

__all__ = [
    "DeliveryWorker",
    "Endpoint",
    "Filter",
    "InvalidWebhook",
    "Post",
    "WebhookError",
    "WebhookNotFound",
    "backoff_s",
    "create_endpoint",
    "delete_endpoint",
    "deliver_due",
    "delivery_log",
    "enqueue_deliveries",
    "get_delivery",
    "get_endpoint",
    "http_post",
    "list_endpoints",
    "retry",
    "rotate_secret",
    "send_test",
    "sign",
    "update_endpoint",
    "validate_url",
    "verify",
]
