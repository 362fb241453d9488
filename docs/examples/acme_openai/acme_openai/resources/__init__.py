"""The resources of the Acme API."""
