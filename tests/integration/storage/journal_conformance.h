#pragma once

// One conformance suite for the journal port, run against every
// implementation. An implementation's test file defines a JournalFactory and
// instantiates the suite:
//
//   INSTANTIATE_TEST_SUITE_P(Embedded, JournalConformanceTest,
//                            ::testing::Values(&kEmbeddedFactory));
//
// Each test asks the factory for a fresh, empty journal with the partition
// count it needs, and may reopen it (same data) to check durability.

#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include "absl/status/statusor.h"
#include "gtest/gtest.h"
#include "storage/journal.h"

namespace billing::testing {

class JournalFactory {
 public:
  virtual ~JournalFactory() = default;
  virtual std::string Name() const = 0;
  // A new, empty journal (a new directory, a new topic) of `partitions`.
  virtual absl::StatusOr<std::unique_ptr<Journal>> Create(
      int32_t partitions) = 0;
  // Reopens the journal last created (after the previous instance was
  // destroyed), as a restarted process would.
  virtual absl::StatusOr<std::unique_ptr<Journal>> Reopen() = 0;
};

// Names each instantiation by the factory's Name() (gtest would print the
// pointer, which changes with every build and breaks ctest's test names).
void PrintTo(JournalFactory* factory, std::ostream* os);

class JournalConformanceTest
    : public ::testing::TestWithParam<JournalFactory*> {};

}  // namespace billing::testing
