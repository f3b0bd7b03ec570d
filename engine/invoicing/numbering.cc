#include "engine/invoicing/numbering.h"

#include <limits>
#include <optional>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "engine/core/validation.h"

namespace billing {
namespace {

constexpr absl::string_view kTemplateField = "numbering template";
constexpr absl::string_view kLabelSuffix = ".LIB";
constexpr absl::string_view kSeqPlaceholder = "[INVOICE.SEQ]";

struct FieldSpec {
  absl::string_view name;
  NumberingField field;
  bool has_label;
};

// Every field a template may name, spelled as it must be written.
constexpr FieldSpec kFields[] = {
    {"INVOICE.YEAR", NumberingField::kInvoiceYear, false},
    {"INVOICE.MONTH", NumberingField::kInvoiceMonth, false},
    {"INVOICE.DAY", NumberingField::kInvoiceDay, false},
    {"INVOICE.SEQ", NumberingField::kInvoiceSeq, false},
    {"INVOICE.TYPE", NumberingField::kInvoiceType, false},
    {"CUSTOMER.CODE", NumberingField::kCustomerCode, true},
    {"BILLING.FAMILY", NumberingField::kBillingFamily, true},
    {"SITE.CODE", NumberingField::kSiteCode, true},
    {"ENTITY.CODE", NumberingField::kEntityCode, true},
};

const FieldSpec* FindField(absl::string_view name) {
  for (const FieldSpec& spec : kFields) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

const FieldSpec& SpecOf(NumberingField field) {
  for (const FieldSpec& spec : kFields) {
    if (spec.field == field) return spec;
  }
  return kFields[0];  // unreachable: kFields lists every enumerator
}

std::string Spelling(const NumberingTemplate::Piece& piece) {
  return absl::StrCat(SpecOf(piece.field).name,
                      piece.label ? kLabelSuffix : "");
}

absl::Status TemplateError(absl::string_view reason) {
  return FieldError(kTemplateField, reason);
}

// The field written between '[' and ']' (`body`) at byte `offset`.
absl::StatusOr<NumberingTemplate::Piece> ParseField(absl::string_view body,
                                                    size_t offset) {
  NumberingTemplate::Piece piece;
  piece.is_field = true;
  absl::string_view name = body;
  if (absl::ConsumeSuffix(&name, kLabelSuffix)) piece.label = true;
  const FieldSpec* spec = FindField(name);
  if (spec == nullptr) {
    // "[CUSTOMER.LIB]" is unknown as a whole, not a label of CUSTOMER.
    const std::string upper = absl::AsciiStrToUpper(body);
    absl::string_view upper_name = upper;
    absl::ConsumeSuffix(&upper_name, kLabelSuffix);
    const std::string hint =
        upper != body && FindField(upper_name) != nullptr
            ? absl::StrCat(" (field names are upper case: [", upper, "])")
            : "";
    return TemplateError(
        absl::StrFormat("unknown field [%s] at %d%s", body, offset, hint));
  }
  if (piece.label && !spec->has_label) {
    return TemplateError(absl::StrFormat("[%s] at %d: %s has no label (.LIB)",
                                         body, offset, spec->name));
  }
  piece.field = spec->field;
  return piece;
}

// Literal text and fields, left to right. `text` is valid UTF-8: '[' and
// ']' are single bytes that never occur inside a multi-byte character.
absl::StatusOr<std::vector<NumberingTemplate::Piece>> SplitPieces(
    absl::string_view text) {
  std::vector<NumberingTemplate::Piece> pieces;
  size_t i = 0;
  while (i < text.size()) {
    const size_t open = text.find_first_of("[]", i);
    if (open != i) {
      NumberingTemplate::Piece literal;
      literal.literal = std::string(text.substr(i, open - i));
      pieces.push_back(std::move(literal));
      if (open == absl::string_view::npos) break;
    }
    if (text[open] == ']') {
      return TemplateError(absl::StrFormat("']' without '[' at %d", open));
    }
    const size_t close = text.find_first_of("[]", open + 1);
    if (close == absl::string_view::npos || text[close] == '[') {
      return TemplateError(absl::StrFormat("unclosed '[' at %d", open));
    }
    absl::StatusOr<NumberingTemplate::Piece> field =
        ParseField(text.substr(open + 1, close - open - 1), open);
    if (!field.ok()) return field.status();
    pieces.push_back(*std::move(field));
    i = close + 1;
  }
  return pieces;
}

absl::Status CheckOneSeq(absl::Span<const NumberingTemplate::Piece> pieces,
                         absl::string_view text) {
  int seqs = 0;
  for (const NumberingTemplate::Piece& piece : pieces) {
    if (piece.is_field && piece.field == NumberingField::kInvoiceSeq) ++seqs;
  }
  if (seqs == 0) return TemplateError("has no [INVOICE.SEQ]");
  if (seqs > 1) {
    // The second one's offset: the first is where the number is written.
    const size_t first = text.find(kSeqPlaceholder);
    return TemplateError(absl::StrFormat(
        "has %d [INVOICE.SEQ], one is required (the second at %d)", seqs,
        text.find(kSeqPlaceholder, first + 1)));
  }
  return absl::OkStatus();
}

// A value or literal in a series key: '\', '[' and ']' escaped, so that the
// key's only bare '[' is the placeholder's (numbering.h, SeriesOf).
void AppendEscaped(std::string& out, absl::string_view text) {
  for (char c : text) {
    if (c == '\\' || c == '[' || c == ']') out.push_back('\\');
    out.push_back(c);
  }
}

// The text a field other than INVOICE.SEQ stands for.
std::string Resolve(const NumberingTemplate::Piece& piece,
                    const NumberingValues& v) {
  switch (piece.field) {
    case NumberingField::kInvoiceYear:
      return absl::StrFormat("%04d", v.issue_date.year());
    case NumberingField::kInvoiceMonth:
      return absl::StrFormat("%02d", v.issue_date.month());
    case NumberingField::kInvoiceDay:
      return absl::StrFormat("%02d", v.issue_date.day());
    case NumberingField::kInvoiceType:
      return v.invoice_type;
    case NumberingField::kCustomerCode:
      return piece.label ? v.customer_name : v.customer_code;
    case NumberingField::kBillingFamily:
      return piece.label ? v.billing_family_label : v.billing_family;
    case NumberingField::kSiteCode:
      return piece.label ? v.site_name : v.site_code;
    case NumberingField::kEntityCode:
      return piece.label ? v.entity_name : v.entity_id;
    case NumberingField::kInvoiceSeq:
      break;
  }
  return "";  // INVOICE.SEQ: the callers write the sequence themselves
}

absl::Status CheckRenderArguments(const NumberingValues& values, uint64_t seq,
                                  int seq_digits) {
  if (seq == 0) return FieldError("seq", "is 0: a series starts at 1");
  if (seq_digits < 0 || seq_digits > kSeqDigitsMax) {
    return FieldError("seq_digits", absl::StrFormat("is %d, not in 0..%d",
                                                    seq_digits, kSeqDigitsMax));
  }
  const int64_t year = values.issue_date.year();
  if (year < 0 || year > 9999) {
    return FieldError("issue_date",
                      absl::StrFormat("year %d does not have 4 digits", year));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<NumberingTemplate> NumberingTemplate::Parse(
    absl::string_view text) {
  if (text.empty()) return TemplateError("is required");
  if (text.size() > kNumberingTemplateLengthMax) {
    return TemplateError(absl::StrFormat(
        "is %d bytes, more than the %d allowed: %s", text.size(),
        kNumberingTemplateLengthMax, QuoteValue(text)));
  }
  if (absl::Status s =
          ValidateText(kTemplateField, text, 1, kNumberingTemplateLengthMax);
      !s.ok()) {
    return s;
  }
  absl::StatusOr<std::vector<Piece>> pieces = SplitPieces(text);
  if (!pieces.ok()) return pieces.status();
  if (absl::Status s = CheckOneSeq(*pieces, text); !s.ok()) return s;
  return NumberingTemplate(std::string(text), *std::move(pieces));
}

bool NumberingTemplate::Uses(NumberingField field) const {
  for (const Piece& piece : pieces_) {
    if (piece.is_field && piece.field == field) return true;
  }
  return false;
}

absl::StatusOr<NumberingTemplate> ParseNumberingTemplate(
    absl::string_view text) {
  return NumberingTemplate::Parse(text);
}

std::string SeriesOf(const NumberingTemplate& numbering,
                     const NumberingValues& values) {
  std::string series;
  for (const NumberingTemplate::Piece& piece : numbering.pieces()) {
    if (!piece.is_field) {
      AppendEscaped(series, piece.literal);
    } else if (piece.field == NumberingField::kInvoiceSeq) {
      absl::StrAppend(&series, kSeqPlaceholder);
    } else {
      AppendEscaped(series, Resolve(piece, values));
    }
  }
  return series;
}

absl::StatusOr<std::string> RenderNumber(const NumberingTemplate& numbering,
                                         const NumberingValues& values,
                                         uint64_t seq, int seq_digits) {
  if (absl::Status s = CheckRenderArguments(values, seq, seq_digits); !s.ok()) {
    return s;
  }
  std::string number;
  for (const NumberingTemplate::Piece& piece : numbering.pieces()) {
    if (!piece.is_field) {
      absl::StrAppend(&number, piece.literal);
      continue;
    }
    if (piece.field == NumberingField::kInvoiceSeq) {
      absl::StrAppend(&number, absl::StrFormat("%0*d", seq_digits, seq));
      continue;
    }
    const std::string value = Resolve(piece, values);
    // Values come from validated records; checked again here because a
    // number is printed and signed: no control or invisible character.
    if (absl::Status s = ValidateText(
            absl::StrCat("numbering value [", Spelling(piece), "]"), value, 0,
            std::numeric_limits<size_t>::max());
        !s.ok()) {
      return s;
    }
    absl::StrAppend(&number, value);
  }
  if (number.size() > kInvoiceNumberLengthMax) {
    return absl::OutOfRangeError(absl::StrFormat(
        "invoice number: is %d bytes, more than the %d allowed: %s",
        number.size(), kInvoiceNumberLengthMax, QuoteValue(number)));
  }
  return number;
}

}  // namespace billing
