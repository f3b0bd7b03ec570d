#pragma once

// Invoice numbers from a reference template (French ERPs' "codification de
// la référence pièce"): literal text and fields written [TABLE.FIELD] or
// [TABLE.FIELD.LIB] (the field's label), e.g.
//
//   FA-[INVOICE.YEAR]-[BILLING.FAMILY]-[INVOICE.SEQ]
//     issued 2026-03-15, family SERV, seq 42, 5 digits: "FA-2026-SERV-00042"
//   [CUSTOMER.CODE.LIB]-[INVOICE.SEQ]
//     customer named "Hôtel Bellevue", seq 7, no padding: "Hôtel Bellevue-7"
//
// Pure: no clock (the issue date is a value), no I/O.
//
// Field names are upper case, exactly as listed below: "[invoice.seq]" is
// refused (the message gives the right spelling). One spelling per field
// keeps the template text canonical, so two templates that number alike are
// the same text, and a stored template never changes meaning with a
// case-folding rule.
//
// Values are inserted as text, never parsed again: a customer named
// "[INVOICE.SEQ]" prints those 13 characters. An empty value prints as
// nothing.

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "engine/core/dates.h"

namespace billing {

// Bytes of a template's text. Default 128.
inline constexpr size_t kNumberingTemplateLengthMax = 128;
// Bytes of a rendered invoice number: short enough for a printed header
// and for the exports that carry it as a key. Default 64.
inline constexpr size_t kInvoiceNumberLengthMax = 64;
// Zero-padding width of the sequence, at most: UINT64_MAX has 20 digits.
inline constexpr int kSeqDigitsMax = 20;

// What one invoice knows, for its number.
struct NumberingValues {
  BusinessDate issue_date;     // INVOICE.YEAR, .MONTH, .DAY
  std::string invoice_type;    // INVOICE.TYPE: INVOICE, NOTICE, CREDIT_NOTE
  std::string customer_code;   // CUSTOMER.CODE
  std::string customer_name;   // CUSTOMER.CODE.LIB
  std::string billing_family;  // BILLING.FAMILY
  std::string billing_family_label;  // BILLING.FAMILY.LIB
  std::string site_code;             // SITE.CODE
  std::string site_name;             // SITE.CODE.LIB
  std::string entity_id;             // ENTITY.CODE
  std::string entity_name;           // ENTITY.CODE.LIB
};

enum class NumberingField {
  kInvoiceYear,    // INVOICE.YEAR: 4 digits
  kInvoiceMonth,   // INVOICE.MONTH: 2 digits, 01-12
  kInvoiceDay,     // INVOICE.DAY: 2 digits, 01-31
  kInvoiceSeq,     // INVOICE.SEQ: the number in its series
  kInvoiceType,    // INVOICE.TYPE
  kCustomerCode,   // CUSTOMER.CODE, .LIB
  kBillingFamily,  // BILLING.FAMILY, .LIB
  kSiteCode,       // SITE.CODE, .LIB
  kEntityCode,     // ENTITY.CODE, .LIB
};

// A parsed template: immutable, valid by construction (Parse is the only
// way to make one).
class NumberingTemplate {
 public:
  // Literal text, or one field (its label when `label`).
  struct Piece {
    bool is_field = false;
    std::string literal;  // when !is_field: never empty
    NumberingField field = NumberingField::kInvoiceSeq;
    bool label = false;  // [TABLE.FIELD.LIB]
  };

  // Refusals, all InvalidArgument "numbering template: ...", in this
  // order: empty; longer than kNumberingTemplateLengthMax bytes; not UTF-8
  // (byte offset) or holding a character ValidateText refuses (control,
  // invisible format: its position); then, left to right, an unclosed '[' or a
  // ']' without '[' (byte offset), an unknown field ("unknown field
  // [FOO.BAR] at 3"), .LIB on a field without a label
  // ([INVOICE.SEQ.LIB]); last, no [INVOICE.SEQ] or more than one.
  static absl::StatusOr<NumberingTemplate> Parse(absl::string_view text);

  // The text as given: what a setting stores.
  const std::string& text() const { return text_; }
  absl::Span<const Piece> pieces() const { return pieces_; }
  // True when the template holds `field` (bare or .LIB): a template
  // without CUSTOMER.CODE numbers every customer in one series.
  bool Uses(NumberingField field) const;

 private:
  NumberingTemplate(std::string text, std::vector<Piece> pieces)
      : text_(std::move(text)), pieces_(std::move(pieces)) {}

  std::string text_;
  std::vector<Piece> pieces_;
};

// NumberingTemplate::Parse.
absl::StatusOr<NumberingTemplate> ParseNumberingTemplate(
    absl::string_view text);

// The series a number belongs to, the key numbers are gapless under: the
// template with every field resolved except INVOICE.SEQ, which stays
// "[INVOICE.SEQ]": "FA-2026-SERV-[INVOICE.SEQ]". So that no value can forge
// a second placeholder or make two series one key, a '\', '[' or ']' of a
// value or of literal text is written "\\", "\[", "\]": a customer named
// "A[1]" gives "FA-A\[1\]-[INVOICE.SEQ]" (its number prints "FA-A[1]-7").
// Unescaping the key and writing the sequence in place of its one
// "[INVOICE.SEQ]" gives RenderNumber's number. Infallible: RenderNumber
// checks the values, so call it before taking a sequence in the series.
std::string SeriesOf(const NumberingTemplate& numbering,
                     const NumberingValues& values);

// The number: the series with `seq` written in decimal, zero-padded to at
// least `seq_digits` (0: no padding; a larger seq is written in full,
// never cut: 123456 at 5 digits is "123456").
// Errors: InvalidArgument for seq 0 (a series starts at 1), seq_digits
// outside 0..kSeqDigitsMax, an issue year outside 0..9999, a substituted
// value that is not UTF-8 or holds a character ValidateText refuses
// (naming the field, "numbering value [CUSTOMER.CODE.LIB]: ...");
// OutOfRange when the number is longer than kInvoiceNumberLengthMax bytes.
absl::StatusOr<std::string> RenderNumber(const NumberingTemplate& numbering,
                                         const NumberingValues& values,
                                         uint64_t seq, int seq_digits);

}  // namespace billing
