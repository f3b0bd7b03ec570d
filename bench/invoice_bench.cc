// invoice_bench: issuing the invoices of a billing run (issue 12)
// in-process on real RocksDB, over the data set of bench/billing_dataset.h.
// After the March run (GatherPreparations per customer), every preparation
// is issued the way services/invoice_issuer.* does it, in groups of 1,000
// customers: validate_preparations per customer (its partition), one
// assign_numbers per series for the group's drafts (the series' one
// writer, 1,000 drafts a command), issue_invoices per customer; decided,
// applied into an overlay and committed one WriteBatch per 64 commands.
// The journal and gRPC are not in the figure (bench/run_command_load.sh
// measures those per command). Then 1,000 of the issued invoices are
// rendered as PDF (cairo and Pango, documents/), against their JSON
// rendering in the same run as the baseline. Checks: one invoice per
// preparation, numbers 1 to N in the series, none missing or repeated.
//
//   invoice_bench --customers=100000 --usage_per_customer=10
//   --out=bench/results/invoice_bench.txt

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "bench/billing_dataset.h"
#include "documents/invoice_json.h"
#include "documents/invoice_pdf.h"
#include "engine/invoicing/commands.h"
#include "engine/invoicing/invoices.h"

ABSL_FLAG(int, customers, 2000, "Customers of the data set.");
ABSL_FLAG(int, usage_per_customer, 10, "Rated calls per customer.");
ABSL_FLAG(int, pdfs, 1000, "Invoices rendered as PDF.");
ABSL_FLAG(std::string, dir, "", "Scratch directory (default: a new temp dir).");
ABSL_FLAG(std::string, out, "", "Results file (default: print only).");

namespace billing {
namespace {

using bench::CpuS;
using bench::CustomerId;
using bench::PeakRssKib;
using bench::Writer;

constexpr int kGroup = 1000;  // customers per pass, drafts per assign
constexpr int kBatch = 64;    // commands per WriteBatch
const BusinessDate kApr1(2026, 4, 1);

struct Figures {
  double build_s = 0, run_s = 0, issue_s = 0, issue_cpu_s = 0;
  double pdf_s = 0, json_s = 0;
  int64_t preparations = 0, invoices = 0, last_seq = 0, pdf_bytes = 0;
  int64_t gross_minor = 0, pdfs = 0;
  int64_t rss_build = 0, rss_run = 0, rss_issue = 0, rss_render = 0;
};

absl::Status SetIssuer(Writer& w) {
  return w.Text(R"pb(invoice { partition: "@reference" set_issuer { issuer {
      legal_name: "Télécom Services" legal_form: "SAS"
      share_capital_minor: 10000000 capital_currency: "EUR"
      address { lines: "12 rue de la Paix" postal_code: "69002" city: "Lyon"
                country_code: "FR" }
      siren: "732829320" siret: "73282932000074" rcs_city: "Lyon"
      vat_id: "FR44732829320"
      bank { iban: "FR7630006000011234567890189" bic: "AGRIFRPP" }
      terms { payment_delay_days: 30 late_penalty_rate_bp: 1200 } } } })pb",
                BusinessDate(2026, 1, 5));
}

absl::Status Run(Writer& w, int customers, Figures& f) {
  const absl::Time start = absl::Now();
  for (int c = 0; c < customers; ++c) {
    if (auto s = w.Run(bench::GatherCommand(CustomerId(c)),
                       BusinessDate(2026, 3, 31));
        !s.ok()) {
      return s;
    }
  }
  if (auto s = w.Flush(); !s.ok()) return s;
  f.run_s = absl::ToDoubleSeconds(absl::Now() - start);
  f.rss_run = PeakRssKib();
  return absl::OkStatus();
}

// validate_preparations for every preparation of `customer`; its drafts.
absl::Status Validate(Writer& w, const std::string& customer,
                      std::vector<v1::InvoiceDocument>& drafts, Figures& f) {
  auto preps = ListPreparations(w.overlay, customer);
  if (!preps.ok()) return preps.status();
  v1::Command c;
  c.mutable_invoice()->set_partition(customer);
  for (const v1::Preparation& p : *preps) {
    c.mutable_invoice()->mutable_validate_preparations()->add_preparation_ids(
        p.preparation_id());
  }
  f.preparations += preps->size();
  auto events = w.Do(c, kApr1);
  if (!events.ok()) return events.status();
  for (const auto& d :
       events->at(0).invoice().preparations_validated().drafts()) {
    drafts.push_back(d);
  }
  return absl::OkStatus();
}

// assign_numbers per series (at most kGroup drafts each), then
// issue_invoices per customer.
absl::Status NumberAndIssue(Writer& w,
                            const std::vector<v1::InvoiceDocument>& drafts,
                            Figures& f) {
  std::map<std::string, v1::Command> assign;
  for (const v1::InvoiceDocument& d : drafts) {
    v1::Command& c = assign[d.series()];
    auto* a = c.mutable_invoice()->mutable_assign_numbers();
    a->set_series(d.series());
    c.mutable_invoice()->set_partition(SeriesPartitionKey(d.series()));
    *a->add_drafts() = DraftRefOf(d);
  }
  std::map<std::string, v1::Command> issue;
  for (const auto& [series, c] : assign) {
    auto events = w.Do(c, kApr1);
    if (!events.ok()) return events.status();
    for (const auto& n :
         events->at(0).invoice().numbers_assigned().numbers()) {
      v1::Command& i = issue[n.customer_id()];
      i.mutable_invoice()->set_partition(n.customer_id());
      *i.mutable_invoice()->mutable_issue_invoices()->add_numbers() = n;
    }
  }
  for (const auto& [customer, c] : issue) {
    auto events = w.Do(c, kApr1);
    if (!events.ok()) return events.status();
    for (const auto& d : events->at(0).invoice().invoices_issued().documents()) {
      ++f.invoices;
      f.gross_minor += d.gross_amount_minor();
    }
  }
  return absl::OkStatus();
}

absl::Status IssueAll(Writer& w, int customers, Figures& f) {
  const absl::Time start = absl::Now();
  const double cpu = CpuS();
  for (int first = 0; first < customers; first += kGroup) {
    std::vector<v1::InvoiceDocument> drafts;
    for (int c = first; c < std::min(customers, first + kGroup); ++c) {
      if (auto s = Validate(w, CustomerId(c), drafts, f); !s.ok()) return s;
    }
    if (auto s = NumberAndIssue(w, drafts, f); !s.ok()) return s;
  }
  if (auto s = w.Flush(); !s.ok()) return s;
  f.issue_s = absl::ToDoubleSeconds(absl::Now() - start);
  f.issue_cpu_s = CpuS() - cpu;
  f.rss_issue = PeakRssKib();
  return absl::OkStatus();
}

// Numbers 1 to N in the one series, N the invoices issued.
absl::Status CheckGapless(const RocksState& state, Figures& f) {
  auto docs = ListDocuments(state, CustomerId(0));
  if (!docs.ok()) return docs.status();
  if (docs->empty()) return absl::InternalError("no invoice issued");
  auto series = LoadSeries(state, docs->front().series());
  if (!series.ok()) return series.status();
  f.last_seq = series->has_value() ? (*series)->last_seq() : 0;
  if (f.last_seq != f.invoices || f.invoices != f.preparations) {
    return absl::InternalError(absl::StrFormat(
        "%d preparations, %d invoices, last number %d", f.preparations,
        f.invoices, f.last_seq));
  }
  return absl::OkStatus();
}

absl::Status Render(const RocksState& state, int customers, Figures& f) {
  std::vector<v1::InvoiceDocument> docs;
  for (int c = 0; c < customers && static_cast<int>(docs.size()) <
                                       absl::GetFlag(FLAGS_pdfs);
       ++c) {
    auto listed = ListDocuments(state, CustomerId(c));
    if (!listed.ok()) return listed.status();
    for (auto& d : *listed) docs.push_back(std::move(d));
  }
  f.pdfs = docs.size();
  absl::Time start = absl::Now();
  for (const auto& d : docs) {
    auto json = documents::RenderInvoiceJson(d);
    if (!json.ok()) return json.status();
  }
  f.json_s = absl::ToDoubleSeconds(absl::Now() - start);
  start = absl::Now();
  for (const auto& d : docs) {
    auto pdf = documents::RenderInvoicePdfBytes(d);
    if (!pdf.ok()) return pdf.status();
    f.pdf_bytes += pdf->size();
  }
  f.pdf_s = absl::ToDoubleSeconds(absl::Now() - start);
  f.rss_render = PeakRssKib();
  return absl::OkStatus();
}

std::string Report(const Figures& f, int customers, int usage) {
  const double per_s = f.invoices / f.issue_s;
  return absl::StrFormat(
      "# invoice_bench: issuing a billing run's invoices in-process on "
      "RocksDB (validate, number, issue: decided, applied, one WriteBatch "
      "per %d commands; no journal, no gRPC)\n"
      "# produced by: build/bench/invoice_bench --customers=%d "
      "--usage_per_customer=%d --pdfs=%d%s\n"
      "# date: %s, nproc %d\n"
      "# data set: bench/billing_dataset.h (per customer 10 numbers, 3 flat "
      "rules, 1 usage rule, %d rated calls in March); issue in groups of %d "
      "customers, one series FA-2026-[INVOICE.SEQ]\n"
      "# x100k = per-invoice time x 100,000 (linear extrapolation)\n"
      "customers %d\nbuild_s %.1f\nrun_s %.2f\n"
      "preparations %d\ninvoices_issued %d\nlast_seq %d (gapless: 1..%d)\n"
      "gross_minor_total %d\n"
      "issue_s %.2f\nissue_cpu_s %.2f\ninvoices_per_s %.0f\n"
      "issue_s_x100k %.1f\n"
      "pdfs_rendered %d\npdf_render_s %.2f\npdf_ms_each %.2f\n"
      "pdf_kib_each %.1f\njson_render_s %.3f\npdf_over_json %.1f\n"
      "peak_rss_kib_build %d\npeak_rss_kib_after_run %d\n"
      "peak_rss_kib_after_issue %d\npeak_rss_kib_after_render %d\n",
      kBatch, customers, usage, absl::GetFlag(FLAGS_pdfs),
      absl::GetFlag(FLAGS_out).empty() ? ""
                                       : " --out=" + absl::GetFlag(FLAGS_out),
      absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::Now(), absl::UTCTimeZone()),
      static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN)), usage, kGroup,
      customers, f.build_s, f.run_s, f.preparations, f.invoices, f.last_seq,
      f.last_seq, f.gross_minor, f.issue_s, f.issue_cpu_s, per_s,
      100000 / per_s, f.pdfs, f.pdf_s, f.pdf_s * 1e3 / std::max<int64_t>(1, f.pdfs),
      f.pdf_bytes / 1024.0 / std::max<int64_t>(1, f.pdfs), f.json_s,
      f.pdf_s / std::max(1e-9, f.json_s), f.rss_build, f.rss_run, f.rss_issue,
      f.rss_render);
}

absl::Status Measure(const std::string& dir, int customers, int usage,
                     Figures& f) {
  auto built = bench::BuildInChild(dir, customers, usage, 2000);
  if (!built.ok()) return built.status();
  f.build_s = built->build_s;
  f.rss_build = built->peak_rss_kib;
  auto state = RocksState::Open({.path = dir + "/state"});
  if (!state.ok()) return state.status();
  Writer w{state->get(), kBatch};
  w.offset = 1'000'000'000;
  if (auto s = SetIssuer(w); !s.ok()) return s;
  if (auto s = Run(w, customers, f); !s.ok()) return s;
  if (auto s = IssueAll(w, customers, f); !s.ok()) return s;
  if (auto s = CheckGapless(**state, f); !s.ok()) return s;
  return Render(**state, customers, f);
}

int Main() {
  const int customers = absl::GetFlag(FLAGS_customers);
  const int usage = absl::GetFlag(FLAGS_usage_per_customer);
  const std::string dir =
      bench::ScratchDir(absl::GetFlag(FLAGS_dir), "invoice_bench");
  Figures f;
  const absl::Status s = Measure(dir, customers, usage, f);
  std::filesystem::remove_all(dir);
  if (!s.ok()) {
    std::cerr << s << std::endl;
    return 1;
  }
  bench::PrintReport(Report(f, customers, usage), absl::GetFlag(FLAGS_out),
                     /*append=*/false);
  return 0;
}

}  // namespace
}  // namespace billing

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  return billing::Main();
}
