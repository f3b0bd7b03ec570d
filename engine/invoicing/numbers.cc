// assign_numbers: the one writer of a series gives each draft the next
// number, in log order (invoice.proto, step 2). Gapless and chronological
// by construction: a number is given only here, only to a draft, once.
#include <algorithm>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "engine/core/events.h"
#include "engine/core/validation.h"
#include "engine/invoicing/internal/invoice_decide.h"
#include "engine/invoicing/invoices.h"

namespace billing::invoice_internal {
namespace {

namespace r = assign_numbers;

constexpr size_t kDraftIdLengthMax = 600;
constexpr int kSeqDigitsMax = 12;

// The series whose numbers are prefix, seq, suffix: SeriesOf's key
// (numbering.h), whose '\\', '[' and ']' outside the placeholder are
// escaped with a backslash.
std::string SeriesOfParts(absl::string_view prefix, absl::string_view suffix) {
  std::string out;
  auto escaped = [&out](absl::string_view text) {
    for (char c : text) {
      if (c == '\\' || c == '[' || c == ']') out += '\\';
      out += c;
    }
  };
  escaped(prefix);
  out += "[INVOICE.SEQ]";
  escaped(suffix);
  return out;
}

absl::Status CheckDraft(const v1::DraftRef& d, int i) {
  const std::string field = absl::StrFormat("drafts[%d]", i);
  if (!ValidateCode("customer_id", d.customer_id(), limits::kCodeLengthMax)
           .ok()) {
    return Reject(r::kDraftsInvalid,
                  absl::StrCat(field, ".customer_id: not a customer code"));
  }
  if (d.draft_id().empty() || d.draft_id().size() > kDraftIdLengthMax ||
      !IsValidUtf8(d.draft_id())) {
    return Reject(r::kDraftsInvalid,
                  absl::StrCat(field, ".draft_id: not a draft id"));
  }
  if (!ParseBusinessDate(d.draft_date(), "draft_date").ok()) {
    return Reject(r::kDraftsInvalid,
                  absl::StrCat(field, ".draft_date: not a date"));
  }
  if (d.seq_digits() < 0 || d.seq_digits() > kSeqDigitsMax ||
      !IsValidUtf8(d.number_prefix()) || !IsValidUtf8(d.number_suffix()) ||
      d.number_prefix().size() + d.number_suffix().size() +
              std::max(20, d.seq_digits()) >
          kDocumentNumberLengthMax) {
    return Reject(r::kDraftsInvalid,
                  absl::StrCat(field, ": its number would not be a number "
                                      "(prefix, suffix or digits)"));
  }
  return absl::OkStatus();
}

absl::Status CheckCommand(absl::string_view partition,
                          const v1::AssignNumbers& command) {
  if (command.series().empty() ||
      partition != SeriesPartitionKey(command.series())) {
    return Reject(r::kWrongPartition,
                  absl::StrFormat("partition: the series %s is numbered in "
                                  "%s, not %s",
                                  QuoteValue(command.series()),
                                  QuoteValue(SeriesPartitionKey(command.series())),
                                  QuoteValue(partition)));
  }
  const auto& drafts = command.drafts();
  if (drafts.empty() ||
      static_cast<size_t>(drafts.size()) > kDraftsPerCommandMax) {
    return Reject(r::kDraftsInvalid,
                  absl::StrFormat("drafts: %d given, 1 to %d expected",
                                  drafts.size(), kDraftsPerCommandMax));
  }
  std::set<std::pair<std::string, std::string>> seen;
  for (int i = 0; i < drafts.size(); ++i) {
    if (auto s = CheckDraft(drafts[i], i); !s.ok()) return s;
    if (SeriesOfParts(drafts[i].number_prefix(), drafts[i].number_suffix()) !=
        command.series()) {
      return Reject(r::kDraftsInvalid,
                    absl::StrFormat("drafts[%d]: its number %s...%s is not "
                                    "of the series %s",
                                    i, QuoteValue(drafts[i].number_prefix()),
                                    QuoteValue(drafts[i].number_suffix()),
                                    QuoteValue(command.series())));
    }
    if (!seen.emplace(drafts[i].customer_id(), drafts[i].draft_id()).second) {
      return Reject(r::kDraftsInvalid,
                    absl::StrFormat("drafts[%d]: given twice", i));
    }
  }
  return absl::OkStatus();
}

std::string Padded(uint64_t seq, int digits) {
  std::string s = absl::StrCat(seq);
  if (static_cast<int>(s.size()) < digits) {
    s.insert(0, static_cast<size_t>(digits) - s.size(), '0');
  }
  return s;
}

}  // namespace

absl::StatusOr<Events> DecideAssignNumbers(const StateReader& state,
                                           absl::string_view partition,
                                           const v1::AssignNumbers& command,
                                           BusinessDate business_date) {
  if (auto s = CheckCommand(partition, command); !s.ok()) return s;
  auto series = LoadSeries(state, command.series());
  if (!series.ok()) return series.status();
  uint64_t last = series->has_value() ? (*series)->last_seq() : 0;
  std::string last_date =
      series->has_value() ? (*series)->last_issue_date() : "";
  v1::EventEnvelope e = NewEvent(kNumbersAssignedType, partition, business_date);
  v1::NumbersAssigned* body = e.mutable_invoice()->mutable_numbers_assigned();
  body->set_series(command.series());
  for (const v1::DraftRef& d : command.drafts()) {
    auto given = GetMessage<v1::NumberAssignment>(
        state, SeriesDraftKey(command.series(), d.customer_id(), d.draft_id()));
    if (!given.ok()) return given.status();
    if (given->has_value()) {
      *body->add_numbers() = **given;
      continue;
    }
    v1::NumberAssignment* n = body->add_numbers();
    n->set_customer_id(d.customer_id());
    n->set_draft_id(d.draft_id());
    n->set_series(command.series());
    n->set_seq(++last);
    // Never before the series' last: the series' date fields (year, month)
    // are the draft's, so the later date keeps them and the number's text.
    last_date = std::max(last_date, d.draft_date());
    n->set_issue_date(last_date);
    n->set_number(absl::StrCat(d.number_prefix(), Padded(last, d.seq_digits()),
                               d.number_suffix()));
  }
  body->set_last_seq(last);
  body->set_last_issue_date(last_date);
  return Events{std::move(e)};
}
}  // namespace billing::invoice_internal

namespace billing {

v1::DraftRef DraftRefOf(const v1::InvoiceDocument& draft) {
  v1::DraftRef ref;
  ref.set_customer_id(draft.holder_id());
  ref.set_draft_id(draft.draft_id());
  ref.set_draft_date(draft.draft_date());
  ref.set_number_prefix(draft.number_prefix());
  ref.set_number_suffix(draft.number_suffix());
  ref.set_seq_digits(draft.seq_digits());
  return ref;
}

}  // namespace billing
