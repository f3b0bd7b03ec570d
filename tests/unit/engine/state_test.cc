// The engine's state port: MemoryState, and OverlayState buffering writes over
// a base reader.

#include "engine/core/state.h"

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "billing/v1/customer.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace billing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

using Entries = std::vector<std::pair<std::string, std::string>>;

// Every (key, value) a scan visits, in visit order.
Entries ScanAll(const StateReader& state, absl::string_view prefix,
                absl::string_view start_after = "") {
  Entries out;
  absl::Status s = state.Scan(
      prefix, start_after, [&](absl::string_view k, absl::string_view v) {
        out.emplace_back(std::string(k), std::string(v));
        return true;
      });
  EXPECT_TRUE(s.ok()) << s;
  return out;
}

// The keys a scan visits before `visit` answers false at the `stop_at`-th.
std::vector<std::string> ScanKeysStoppingAt(const StateReader& state,
                                            absl::string_view prefix,
                                            size_t stop_at) {
  std::vector<std::string> keys;
  absl::Status s =
      state.Scan(prefix, "", [&](absl::string_view k, absl::string_view) {
        keys.emplace_back(k);
        return keys.size() < stop_at;
      });
  EXPECT_TRUE(s.ok()) << s;
  return keys;
}

std::optional<std::string> GetOrDie(const StateReader& state,
                                    absl::string_view key) {
  auto v = state.Get(key);
  EXPECT_TRUE(v.ok()) << v.status();
  return v.ok() ? *v : std::nullopt;
}

// A base holding cust/a, cust/c, cust/e and keys of other families around it.
MemoryState BaseState() {
  MemoryState base;
  base.Put("cust/a", "A");
  base.Put("cust/c", "C");
  base.Put("cust/e", "E");
  base.Put("cusu/x", "not a customer");  // sorts right after "cust/"
  base.Put("aaa", "before");
  return base;
}

// --- MemoryState ------------------------------------------------------------

TEST(MemoryStateTest, GetOfAbsentKeyIsNullopt) {
  MemoryState state;
  EXPECT_EQ(GetOrDie(state, "cust/a"), std::nullopt);
}

TEST(MemoryStateTest, PutThenGet) {
  MemoryState state;
  state.Put("cust/a", "A");
  EXPECT_EQ(GetOrDie(state, "cust/a"), "A");
}

TEST(MemoryStateTest, PutOverwrites) {
  MemoryState state;
  state.Put("cust/a", "A");
  state.Put("cust/a", "A2");
  EXPECT_EQ(GetOrDie(state, "cust/a"), "A2");
  EXPECT_EQ(state.data().size(), 1u);
}

// Values are bytes: embedded NULs survive.
TEST(MemoryStateTest, ValuesAreBinarySafe) {
  MemoryState state;
  const std::string value("a\0b", 3);
  state.Put("k", value);
  EXPECT_EQ(GetOrDie(state, "k"), value);
}

TEST(MemoryStateTest, DeleteRemovesKey) {
  MemoryState state;
  state.Put("cust/a", "A");
  state.Delete("cust/a");
  EXPECT_EQ(GetOrDie(state, "cust/a"), std::nullopt);
  EXPECT_TRUE(state.data().empty());
}

TEST(MemoryStateTest, DeleteOfAbsentKeyIsANoOp) {
  MemoryState state = BaseState();
  const auto before = state.data();
  state.Delete("cust/zzz");
  EXPECT_EQ(state.data(), before);
}

TEST(MemoryStateTest, ScanVisitsOnlyThePrefixInKeyOrder) {
  MemoryState state = BaseState();
  EXPECT_THAT(ScanAll(state, "cust/"),
              ElementsAre(Pair("cust/a", "A"), Pair("cust/c", "C"),
                          Pair("cust/e", "E")));
}

TEST(MemoryStateTest, ScanWithEmptyPrefixVisitsEverything) {
  MemoryState state = BaseState();
  EXPECT_EQ(ScanAll(state, "").size(), 5u);
}

// start_after is exclusive: "cust/a" itself is not visited.
TEST(MemoryStateTest, ScanStartsStrictlyAfterStartAfter) {
  MemoryState state = BaseState();
  EXPECT_THAT(ScanAll(state, "cust/", "cust/a"),
              ElementsAre(Pair("cust/c", "C"), Pair("cust/e", "E")));
}

// A start_after that is not itself a key resumes at the next key.
TEST(MemoryStateTest, ScanStartAfterNeedNotExist) {
  MemoryState state = BaseState();
  EXPECT_THAT(ScanAll(state, "cust/", "cust/b"),
              ElementsAre(Pair("cust/c", "C"), Pair("cust/e", "E")));
}

TEST(MemoryStateTest, ScanStartAfterLastKeyVisitsNothing) {
  MemoryState state = BaseState();
  EXPECT_TRUE(ScanAll(state, "cust/", "cust/e").empty());
}

// A start_after sorting before the prefix (with another family's key between
// them) constrains nothing: the whole prefix is visited.
TEST(MemoryStateTest, ScanStartAfterBelowThePrefixVisitsWholePrefix) {
  MemoryState state = BaseState();
  EXPECT_THAT(ScanAll(state, "cust/", "a"),
              ElementsAre(Pair("cust/a", "A"), Pair("cust/c", "C"),
                          Pair("cust/e", "E")));
}

TEST(MemoryStateTest, ScanStopsWhenVisitorReturnsFalse) {
  MemoryState state = BaseState();
  EXPECT_THAT(ScanKeysStoppingAt(state, "cust/", 2),
              ElementsAre("cust/a", "cust/c"));
}

// --- OverlayState -----------------------------------------------------------

TEST(OverlayStateTest, GetFallsThroughToBase) {
  MemoryState base = BaseState();
  OverlayState overlay(&base);
  EXPECT_EQ(GetOrDie(overlay, "cust/a"), "A");
  EXPECT_EQ(GetOrDie(overlay, "cust/b"), std::nullopt);
}

TEST(OverlayStateTest, ReadsItsOwnWrites) {
  MemoryState base = BaseState();
  OverlayState overlay(&base);
  overlay.Put("cust/a", "A2");
  overlay.Put("cust/b", "B");
  EXPECT_EQ(GetOrDie(overlay, "cust/a"), "A2");
  EXPECT_EQ(GetOrDie(overlay, "cust/b"), "B");
}

// Writes are buffered: the base does not change until the caller commits.
TEST(OverlayStateTest, WritesDoNotReachTheBase) {
  MemoryState base = BaseState();
  const auto before = base.data();
  OverlayState overlay(&base);
  overlay.Put("cust/a", "A2");
  overlay.Put("cust/b", "B");
  overlay.Delete("cust/c");
  EXPECT_EQ(base.data(), before);
}

TEST(OverlayStateTest, DeletionHidesBaseKeyInGet) {
  MemoryState base = BaseState();
  OverlayState overlay(&base);
  overlay.Delete("cust/c");
  EXPECT_EQ(GetOrDie(overlay, "cust/c"), std::nullopt);
}

TEST(OverlayStateTest, PutAfterDeleteIsVisible) {
  MemoryState base = BaseState();
  OverlayState overlay(&base);
  overlay.Delete("cust/c");
  overlay.Put("cust/c", "C2");
  EXPECT_EQ(GetOrDie(overlay, "cust/c"), "C2");
}

TEST(OverlayStateTest, WritesListsPutsAndDeletionsInKeyOrder) {
  MemoryState base = BaseState();
  OverlayState overlay(&base);
  overlay.Put("cust/d", "D");
  overlay.Delete("cust/a");
  EXPECT_THAT(overlay.writes(),
              ElementsAre(Pair("cust/a", std::nullopt),
                          Pair("cust/d", std::optional<std::string>("D"))));
}

TEST(OverlayStateTest, ClearDropsBufferedWrites) {
  MemoryState base = BaseState();
  OverlayState overlay(&base);
  overlay.Put("cust/a", "A2");
  overlay.Delete("cust/c");
  overlay.Clear();
  EXPECT_TRUE(overlay.writes().empty());
  EXPECT_EQ(GetOrDie(overlay, "cust/a"), "A");
  EXPECT_EQ(GetOrDie(overlay, "cust/c"), "C");
}

// Base a, c, e; overlay adds b (between), f (after), 0 (before), replaces c.
TEST(OverlayStateTest, ScanMergesBaseAndOverlayInKeyOrder) {
  MemoryState base = BaseState();
  OverlayState overlay(&base);
  overlay.Put("cust/f", "F");
  overlay.Put("cust/b", "B");
  overlay.Put("cust/0", "0");
  overlay.Put("cust/c", "C2");
  EXPECT_THAT(ScanAll(overlay, "cust/"),
              ElementsAre(Pair("cust/0", "0"), Pair("cust/a", "A"),
                          Pair("cust/b", "B"), Pair("cust/c", "C2"),
                          Pair("cust/e", "E"), Pair("cust/f", "F")));
}

TEST(OverlayStateTest, ScanSkipsKeysDeletedInOverlay) {
  MemoryState base = BaseState();
  OverlayState overlay(&base);
  overlay.Delete("cust/a");
  overlay.Delete("cust/e");
  EXPECT_THAT(ScanAll(overlay, "cust/"), ElementsAre(Pair("cust/c", "C")));
}

// Deleting a key the base never had hides nothing and shows nothing.
TEST(OverlayStateTest, ScanIgnoresDeletionOfAbsentKey) {
  MemoryState base = BaseState();
  OverlayState overlay(&base);
  overlay.Delete("cust/b");
  overlay.Delete("cust/z");
  EXPECT_THAT(ScanAll(overlay, "cust/"),
              ElementsAre(Pair("cust/a", "A"), Pair("cust/c", "C"),
                          Pair("cust/e", "E")));
}

// Overlay writes outside the prefix are not visited, even when they sort
// between the prefix's keys and the next family.
TEST(OverlayStateTest, ScanKeepsToThePrefix) {
  MemoryState base = BaseState();
  OverlayState overlay(&base);
  overlay.Put("cust", "no slash");
  overlay.Put("cusu/y", "other family");
  overlay.Put("cust/d", "D");
  EXPECT_THAT(ScanAll(overlay, "cust/"),
              ElementsAre(Pair("cust/a", "A"), Pair("cust/c", "C"),
                          Pair("cust/d", "D"), Pair("cust/e", "E")));
}

TEST(OverlayStateTest, ScanOverEmptyBaseVisitsOverlayOnly) {
  MemoryState base;
  OverlayState overlay(&base);
  overlay.Put("cust/b", "B");
  overlay.Put("cust/a", "A");
  EXPECT_THAT(ScanAll(overlay, "cust/"),
              ElementsAre(Pair("cust/a", "A"), Pair("cust/b", "B")));
}

TEST(OverlayStateTest, ScanHonoursStartAfterInBaseAndOverlay) {
  MemoryState base = BaseState();
  OverlayState overlay(&base);
  overlay.Put("cust/b", "B");
  overlay.Put("cust/d", "D");
  EXPECT_THAT(ScanAll(overlay, "cust/", "cust/b"),
              ElementsAre(Pair("cust/c", "C"), Pair("cust/d", "D"),
                          Pair("cust/e", "E")));
}

TEST(OverlayStateTest, ScanStartAfterBelowThePrefixVisitsWholePrefix) {
  MemoryState base = BaseState();
  OverlayState overlay(&base);
  overlay.Put("b", "other family");
  overlay.Put("cust/b", "B");
  EXPECT_THAT(ScanAll(overlay, "cust/", "a"),
              ElementsAre(Pair("cust/a", "A"), Pair("cust/b", "B"),
                          Pair("cust/c", "C"), Pair("cust/e", "E")));
}

// start_after names a key the overlay deleted: the scan resumes after it.
TEST(OverlayStateTest, ScanStartAfterADeletedKey) {
  MemoryState base = BaseState();
  OverlayState overlay(&base);
  overlay.Delete("cust/c");
  EXPECT_THAT(ScanAll(overlay, "cust/", "cust/c"),
              ElementsAre(Pair("cust/e", "E")));
}

// Stopping on an overlay key that sorts before a base key.
TEST(OverlayStateTest, ScanStopsEarlyOnOverlayKey) {
  MemoryState base = BaseState();
  OverlayState overlay(&base);
  overlay.Put("cust/b", "B");
  EXPECT_THAT(ScanKeysStoppingAt(overlay, "cust/", 2),
              ElementsAre("cust/a", "cust/b"));
}

// Stopping on a base key replaced in the overlay.
TEST(OverlayStateTest, ScanStopsEarlyOnReplacedKey) {
  MemoryState base = BaseState();
  OverlayState overlay(&base);
  overlay.Put("cust/c", "C2");
  EXPECT_THAT(ScanKeysStoppingAt(overlay, "cust/", 2),
              ElementsAre("cust/a", "cust/c"));
}

// Stopping on a base key.
TEST(OverlayStateTest, ScanStopsEarlyOnBaseKey) {
  MemoryState base = BaseState();
  OverlayState overlay(&base);
  EXPECT_THAT(ScanKeysStoppingAt(overlay, "cust/", 1), ElementsAre("cust/a"));
}

// Stopping among the overlay keys that sort after every base key.
TEST(OverlayStateTest, ScanStopsEarlyAfterTheBaseIsExhausted) {
  MemoryState base = BaseState();
  OverlayState overlay(&base);
  overlay.Put("cust/f", "F");
  overlay.Put("cust/g", "G");
  EXPECT_THAT(ScanKeysStoppingAt(overlay, "cust/", 4),
              ElementsAre("cust/a", "cust/c", "cust/e", "cust/f"));
}

// Overlays stack: a scratch overlay over a batch overlay over the base.
TEST(OverlayStateTest, OverlayOverOverlaySeesBothLayers) {
  MemoryState base = BaseState();
  OverlayState batch(&base);
  batch.Put("cust/b", "B");
  batch.Delete("cust/e");
  OverlayState scratch(&batch);
  scratch.Put("cust/d", "D");
  scratch.Delete("cust/a");
  EXPECT_THAT(ScanAll(scratch, "cust/"),
              ElementsAre(Pair("cust/b", "B"), Pair("cust/c", "C"),
                          Pair("cust/d", "D")));
}

// --- GetMessage / PutMessage ------------------------------------------------

TEST(GetMessageTest, AbsentKeyIsNullopt) {
  MemoryState state;
  auto got = GetMessage<v1::Customer>(state, "cust/a");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_FALSE(got->has_value());
}

TEST(GetMessageTest, ReadsWhatPutMessageWrote) {
  MemoryState state;
  v1::Customer c;
  c.set_customer_id("a");
  c.set_name("Acme");
  c.set_version(3);
  PutMessage(state, "cust/a", c);
  auto got = GetMessage<v1::Customer>(state, "cust/a");
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->name(), "Acme");
  EXPECT_EQ((*got)->version(), 3u);
  EXPECT_EQ(state.data().at("cust/a"), SerializeDeterministic(c));
}

// Bytes that are not a Customer (a truncated length-delimited field) are
// DataLoss naming the key and the expected type: a corrupt state stops the
// caller.
TEST(GetMessageTest, CorruptBytesAreDataLossNamingTheKey) {
  MemoryState state;
  state.Put("cust/a", std::string("\x12\x05"
                                  "Ac",
                                  4));
  auto got = GetMessage<v1::Customer>(state, "cust/a");
  ASSERT_EQ(got.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(got.status().message(),
            "state key \"cust/a\" does not hold a valid billing.v1.Customer");
}

// A key with unprintable bytes is escaped in the message.
TEST(GetMessageTest, CorruptStateMessageEscapesTheKey) {
  absl::Status s = CorruptState(std::string("k\x01", 2), "x");
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(s.message()), HasSubstr("\"k\\x01\""));
}

// --- ForEachKeyedMessage / ForEachMessage / ScanMessages --------------------

MemoryState ThreeCustomers() {
  MemoryState state;
  for (const char* id : {"a", "b", "c"}) {
    v1::Customer c;
    c.set_customer_id(id);
    PutMessage(state, std::string("cust/") + id, c);
  }
  state.Put("other/x", "not a customer");
  return state;
}

// The visit gets each key with its message, in key order, within the prefix.
TEST(ForEachKeyedMessageTest, VisitsKeysWithTheirMessages) {
  MemoryState state = ThreeCustomers();
  std::vector<std::pair<std::string, std::string>> seen;
  absl::Status s = ForEachKeyedMessage<v1::Customer>(
      state, "cust/", "",
      [&](absl::string_view key, v1::Customer c) -> absl::StatusOr<bool> {
        seen.emplace_back(std::string(key), c.customer_id());
        return true;
      });
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_THAT(seen, ElementsAre(Pair("cust/a", "a"), Pair("cust/b", "b"),
                                Pair("cust/c", "c")));
}

// false stops the scan; an error stops it and is returned as it is.
TEST(ForEachKeyedMessageTest, StopsOnFalseAndReturnsTheVisitsError) {
  MemoryState state = ThreeCustomers();
  int visits = 0;
  absl::Status s = ForEachMessage<v1::Customer>(
      state, "cust/", "",
      [&](v1::Customer) -> absl::StatusOr<bool> { return ++visits < 2; });
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(visits, 2);
  s = ForEachMessage<v1::Customer>(
      state, "cust/", "cust/a", [&](v1::Customer) -> absl::StatusOr<bool> {
        return absl::FailedPreconditionError("enough");
      });
  EXPECT_EQ(s, absl::FailedPreconditionError("enough"));
}

// A value that does not parse is DataLoss naming its key.
TEST(ForEachKeyedMessageTest, CorruptValueIsDataLossNamingTheKey) {
  MemoryState state = ThreeCustomers();
  state.Put("cust/b", std::string("\x12\x05", 2));
  auto got = ScanMessages<v1::Customer>(state, "cust/");
  ASSERT_EQ(got.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(got.status().message()), HasSubstr("\"cust/b\""));
}

// ScanMessages stops at records_max.
TEST(ForEachKeyedMessageTest, ScanMessagesStopsAtRecordsMax) {
  MemoryState state = ThreeCustomers();
  auto got = ScanMessages<v1::Customer>(state, "cust/", 2);
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_EQ(got->size(), 2u);
  EXPECT_EQ((*got)[1].customer_id(), "b");
  got = ScanMessages<v1::Customer>(state, "cust/", 0);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_TRUE(got->empty());
}

// A lane's batches in flight over the state: the newest layer's write of a
// key wins, a deletion hides the base's value, the layers' own bases are
// never read, and a scan merges every layer over the base in key order.
TEST(LayeredStateTest, NewestLayerWinsAndDeletionsHide) {
  MemoryState base;
  base.Put("a", "base-a");
  base.Put("b", "base-b");
  base.Put("c", "base-c");
  MemoryState elsewhere;  // a layer's own base: never read through the stack
  elsewhere.Put("z", "elsewhere");
  OverlayState older(&elsewhere), newer(&elsewhere);
  older.Put("a", "older-a");
  older.Delete("b");
  older.Put("d", "older-d");
  newer.Put("a", "newer-a");
  newer.Put("b", "newer-b");
  LayeredState view(&base);
  view.Push(&older);
  view.Push(&newer);

  EXPECT_EQ(view.Get("a")->value_or("-"), "newer-a");
  EXPECT_EQ(view.Get("b")->value_or("-"), "newer-b");
  EXPECT_EQ(view.Get("c")->value_or("-"), "base-c");
  EXPECT_EQ(view.Get("d")->value_or("-"), "older-d");
  EXPECT_FALSE(view.Get("z")->has_value());
  EXPECT_THAT(ScanAll(view, ""),
              ElementsAre(Pair("a", "newer-a"), Pair("b", "newer-b"),
                          Pair("c", "base-c"), Pair("d", "older-d")));

  view.PopOldest();  // `older` projected: its writes are the base's now
  base.Put("a", "older-a");
  base.Delete("b");
  base.Put("d", "older-d");
  EXPECT_EQ(view.size(), 1u);
  EXPECT_THAT(ScanAll(view, "", "a"),
              ElementsAre(Pair("b", "newer-b"), Pair("c", "base-c"),
                          Pair("d", "older-d")));
  view.PopOldest();
  EXPECT_FALSE(view.Get("b")->has_value());
}

// A batch decided over the layers buffers its writes on top of them.
TEST(LayeredStateTest, AnOverlayOverTheLayersReadsThemAll) {
  MemoryState base;
  base.Put("k/1", "base");
  OverlayState in_flight(&base);
  in_flight.Put("k/2", "in-flight");
  LayeredState view(&base);
  view.Push(&in_flight);
  OverlayState next(&view);
  next.Put("k/3", "next");
  EXPECT_THAT(ScanAll(next, "k/"),
              ElementsAre(Pair("k/1", "base"), Pair("k/2", "in-flight"),
                          Pair("k/3", "next")));
}

}  // namespace
}  // namespace billing
