"""The MSP Assistant's own package: content, feedback, storage, reports, NLP, web, CLI."""
