"""The codebook: model, YAML and REFI-QDA .qdc exchange, edits and diff."""
