// The libFuzzer target of scripts/fuzz. Nothing runs here: in the fuzz build
// (-sanitize=fuzzer, which also compiles this file as a library) libFuzzer's own `main`
// calls `LLVMFuzzerTestOneInput` (FuzzEntry.swift) for every input; in a normal build the
// program does nothing.
