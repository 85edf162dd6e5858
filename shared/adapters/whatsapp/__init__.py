"""WhatsApp in the Cloud API dialect (Meta's, or the bridge's): :mod:`.cloud` reads webhook bodies
into our frozen types (pure, shared with the bridge); :mod:`.messenger` sends through pywa.

Nothing is imported here, so reading a webhook never loads pywa."""
