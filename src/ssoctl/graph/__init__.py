"""Microsoft Graph access. Importing this package is cheap: msgraph-sdk loads only in `graph.client`."""
