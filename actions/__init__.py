"""Rasa SDK actions: thin. They read the tracker, call bot/, and say what came back."""
