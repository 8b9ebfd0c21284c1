"""Machine translation: which model serves which pair (:mod:`.registry`), loading and decoding
(:mod:`.engine`), and random-weight models for tests and benchmarks (:mod:`.synthetic`)."""
