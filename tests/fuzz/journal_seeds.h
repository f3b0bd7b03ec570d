#pragma once

// The seed corpus of journal_apply_fuzz: records a writer would append next
// on the seeded state (fuzz_support.h), one per kind of event, plus an
// ownership marker. Regenerate corpus/journal_apply_fuzz/ with
//   BILLING_FUZZ_WRITE_SEEDS=tests/fuzz/corpus/journal_apply_fuzz \
//     build/fuzz/tests/fuzz/journal_apply_fuzz

namespace billing::fuzz {

// Writes one file per record into `dir`; returns 0, or 1 (after printing
// why) when a command is refused or a file cannot be written.
int WriteJournalSeeds(const char* dir);

}  // namespace billing::fuzz
