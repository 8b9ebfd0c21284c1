"""Machine translation: the translator interface and its backends (:mod:`.base`), which model serves
which pair (:mod:`.registry`), loading and decoding (:mod:`.engine`, :mod:`.fast`), and random-weight
models for tests and benchmarks (:mod:`.synthetic`)."""
