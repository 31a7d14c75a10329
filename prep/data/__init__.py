"""Data shipped with prep: the sample positions file, the companies file and the taxonomy."""
