"""The topic bank: one YAML file per topic, under a folder per domain (shipped as package data)."""
