"""The project's spaCy pipeline (no pretrained model exists for spaCy 3.4 here)."""
