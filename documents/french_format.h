#pragma once

// How a French document prints numbers, dates and outside text. Pure
// functions of their arguments; no locale is read (the process locale must
// never change what an issued invoice shows).
//
// Spaces inside a printed value ("1 234,56 €", "20,00 %") are U+00A0 (no-break
// space, kNbsp), so a value never breaks across lines; the French typographic
// narrow space (U+202F) is avoided because older PDF readers and pdftotext
// drop it.

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace billing::documents {

inline constexpr absl::string_view kNbsp = "\xC2\xA0";

// Outside text made printable: valid UTF-8 (each invalid byte becomes U+FFFD,
// so "Soci\xE9t\xE9" prints "Soci�t�", not nothing), each run of C0/C1
// controls, DEL and line breaks becomes one space, and the bidirectional embedding, override
// and isolate controls (U+202A..U+202E, U+2066..U+2069) are dropped, so a
// name cannot reorder the text printed beside it. Right-to-left letters stay
// and are shaped as such.
std::string CleanText(absl::string_view text);

// The digits of the minor unit of an ISO 4217 currency: EUR 2, JPY 0, KWD 3;
// 2 for a code it does not know. Mirrors engine/core/money.cc (the engine is
// the reference; this library may not link it).
int CurrencyExponent(absl::string_view currency);

// An amount in minor units, grouped by thousands, comma decimal, with the
// currency: 123456 EUR -> "1 234,56 €", -5 EUR -> "-0,05 €", 5 JPY -> "5 JPY".
// Exact for every int64.
std::string FormatAmount(int64_t minor, absl::string_view currency);
// The same without the currency ("1 234,56"), for table cells under a header
// that names it.
std::string FormatAmountNumber(int64_t minor, absl::string_view currency);

// A fixed-point value scaled by 10^decimals in French notation, grouped by
// thousands: (123456, 2) -> "1 234,56"; (-5, 3) -> "-0,005"; (7, 0) -> "7".
std::string FormatFixed(int64_t value, int decimals);

// Millionths of the major unit (unit prices, rated calls), at least two
// decimals and at most six, trailing zeros past the second dropped:
// 100000000 -> "100,00"; 12500 -> "0,0125".
std::string FormatMicros(int64_t micros);

// Thousandths (quantities), trailing zeros dropped: 2000 -> "2", 1500 ->
// "1,5", 1234567 -> "1 234,567".
std::string FormatMilli(int64_t milli);

// Hundredths of a percent (VAT rates in basis points, discounts): 2000 ->
// "20,00 %"; 550 -> "5,50 %".
std::string FormatPercent(int64_t hundredths);

// "2026-01-31" -> "31/01/2026". Anything else is printed cleaned, as given
// (an issued document is printed as it is, never refused).
std::string FormatDate(absl::string_view iso_date);

// "du 01/01/2026 au 31/01/2026"; one end empty: "à partir du ..." /
// "jusqu'au ..."; both empty: "".
std::string FormatPeriod(absl::string_view start, absl::string_view end);

// RFC 3339 "2026-01-05T10:15:30+01:00" -> "05/01/2026 10:15:30" (the time as
// the platform wrote it, zone not converted); anything else cleaned as given.
std::string FormatDateTime(absl::string_view rfc3339);

// An IBAN in groups of four, as banks print it: "FR76 3000 6000 0112 3456
// 7890 189" (plain spaces: it may wrap).
std::string FormatIban(absl::string_view iban);

// Seconds as a call's duration: 75 -> "1 min 15 s", 3725 -> "1 h 02 min 05 s",
// 9 -> "9 s".
std::string FormatDuration(int64_t seconds);

// Bytes as a data volume, in binary kilo/mega/giga as operators bill them:
// 512 -> "512 o", 1536 -> "1,5 Ko", 5242880 -> "5 Mo".
std::string FormatBytes(int64_t bytes);

// A country's French name for the ISO 3166-1 alpha-2 codes an address near
// France most often carries ("BE" -> "Belgique"); other codes as given.
std::string CountryName(absl::string_view code);

}  // namespace billing::documents
