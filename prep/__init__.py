"""prep: turn a job-hunter's notes on AI-infrastructure positions into interview preparation."""

__version__ = "0.1.0"
