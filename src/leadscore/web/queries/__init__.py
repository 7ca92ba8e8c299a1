"""What the web pages read, as plain functions over a store (no web framework here): the
leads list with its filters, sort orders and keyset paging, the search index, saved segments,
a lead's reasons, history and events, and the optional predictive scores."""
