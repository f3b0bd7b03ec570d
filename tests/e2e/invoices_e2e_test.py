"""Invoices through billingctl, against a real billingd.

The demo customer (invoiced on its main entity PARIS, a section per
entity) gets two fax lines on a flat monthly rule, article FAX at 20 % VAT:

  FAX-PARIS (entity PARIS)                  30.00
  FAX-NICE  (entity NICE, 12.5 % discount)  40.00 - 5.00 = 35.00
  net 65.00, VAT 20 % of 65.00 = 13.00, gross 78.00

The March run's preparation is validated into FA-2026-000001, issued on
2026-03-02 (the daemon's test date), due 30 days later, 2026-04-01. Its
PDF (pdftotext, poppler-utils) holds the totals, the issuer's SIREN and the
accented names. The rules moved: the April run owes April, whose invoice is
FA-2026-000002. An issuer whose template names an unknown field is refused,
naming it.
"""

import json
import os
import shutil
import subprocess
import unittest

import e2e_support as e2e

CTL_TIMEOUT_S = e2e.CTL_TIMEOUT_S

ISSUER = {
    "legal_name": "Télécom Services", "legal_form": "SAS",
    "share_capital_minor": "10000000", "capital_currency": "EUR",
    "address": {"lines": ["12 rue de la Paix"], "postal_code": "69002",
                "city": "Lyon", "country_code": "FR"},
    "siren": "732829320", "siret": "73282932000074", "rcs_city": "Lyon",
    "vat_id": "FR44732829320",
    "bank": {"iban": "FR76 3000 6000 0112 3456 7890 189", "bic": "AGRIFRPP"},
    "terms": {"payment_delay_days": 30, "late_penalty_rate_bp": 1200},
}


class InvoicesBase(e2e.BillingctlMixin, unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.workdir = e2e.make_temp_dir("billing-e2e-invoices-")
        cls.daemon = e2e.Billingd(os.path.join(cls.workdir, "data"),
                                  cls.workdir,
                                  test_clock_date="2026-03-02")

    @classmethod
    def tearDownClass(cls):
        try:
            e2e.stop_billingd(cls.daemon)
        finally:
            shutil.rmtree(cls.workdir, ignore_errors=True)

    def issuer_file(self, issuer):
        path = os.path.join(self.workdir, "issuer.json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump(issuer, f, ensure_ascii=False)
        return path

    def setUp_demo(self):
        self.assertIn("4 entities", self.ctl("demo", "load"))
        self.ctl("article", "define", "--code", "FAX", "--label", "Fax line",
                 "--vat", "20")
        self.ctl("contract", "create", "--customer", "DEMO", "--ref", "K-FAX",
                 "--family", "TEL", "--billing-family", "TEL",
                 "--start", "2026-01-01")
        for rule, obj, price in (("R-PARIS", "FAX-PARIS", "30"),
                                 ("R-NICE", "FAX-NICE", "40")):
            self.ctl("rule", "create", "--customer", "DEMO",
                     "--contract", "K-FAX", "--rule", rule, "--type", "flat",
                     "--object", obj, "--label", f"Fax {obj}",
                     "--article", "FAX", "--price", price,
                     "--periodicity", "monthly", "--timing", "advance",
                     "--start", "2026-03-01")

    def run_month(self, start, end, key):
        self.ctl("run", "start", "--period-start", start, "--period-end", end,
                 "--business-date", start, "--scope", "ordinary",
                 "--key", key)

class InvoicesE2eTest(InvoicesBase):

    def test_validate_number_render_and_move_the_rules(self):
        self.setUp_demo()
        # No issuer yet: refused, named.
        self.run_month("2026-03-01", "2026-03-31", "mar-1")
        out = self.ctl("prep", "validate", "--statuses", "generated")
        self.assertIn("ISSUER_NOT_SET", out)
        # A template with an unknown field is refused, naming it.
        bad = dict(ISSUER, numbering=[{
            "document_type": "DOCUMENT_TYPE_INVOICE",
            "template": "FA-[INVOICE.YERA]-[INVOICE.SEQ]"}])
        _, err = self.run_ctl("issuer", "set", "--file",
                              self.issuer_file(bad), code=1)
        self.assertIn("unknown field [INVOICE.YERA]", err)
        self.assertIn("NUMBERING_TEMPLATE_INVALID", err)
        self.assertIn("version 1",
                      self.ctl("issuer", "set", "--file",
                               self.issuer_file(ISSUER)))

        out = self.ctl("prep", "validate", "--statuses", "generated",
                       "--key", "val-mar")
        self.assertIn("1 preparation(s) validated, 1 document(s) issued", out)
        docs = self.ctl("invoice", "list", as_json=True)["documents"]
        self.assertEqual([d["number"] for d in docs], ["FA-2026-000001"])
        doc = self.ctl("invoice", "show", "FA-2026-000001", as_json=True)
        self.assertEqual(doc["net_amount_minor"], "6500")
        self.assertEqual(doc["vat_amount_minor"], "1300")
        self.assertEqual(doc["gross_amount_minor"], "7800")
        self.assertEqual(doc["issue_date"], "2026-03-02")
        self.assertEqual(doc["due_date"], "2026-04-01")
        self.assertEqual(len(doc["sections"]), 2)
        # Validating again with the same key: the same answer, no new number.
        self.ctl("prep", "validate", "--statuses", "generated",
                 "--key", "val-mar")
        self.assertEqual(len(self.ctl("invoice", "list",
                                      as_json=True)["documents"]), 1)

        pdf = os.path.join(self.workdir, "FA-2026-000001.pdf")
        self.assertIn("application/pdf",
                      self.ctl("invoice", "render", "FA-2026-000001",
                               "--pdf", pdf))
        text = subprocess.run(["pdftotext", "-layout", pdf, "-"],
                              capture_output=True, text=True, check=True,
                              timeout=CTL_TIMEOUT_S).stdout
        for expected in ("FA-2026-000001", "65,00", "13,00", "78,00",
                         "SIREN 732829320", "Télécom Services",
                         "SIREN 303265045",  # the customer's

                         "Hôtel Belle Étoile Nice Promenade", "Page 1/1",
                         "40,00 €"):
            self.assertIn(expected, text)
        _, err = self.run_ctl("invoice", "render", "FA-2026-999999",
                              "--pdf", pdf, code=1)
        self.assertIn("NOT_FOUND", err)

        # The rules moved: March again gathers nothing to invoice; April
        # owes April, numbered next.
        self.run_month("2026-04-01", "2026-04-30", "apr-1")
        # Validated on April 1st: April in advance is billable from then
        # (on the daemon's March 2nd it is refused, RULE_NOT_BILLABLE).
        out = self.ctl("prep", "validate", "--period-start", "2026-04-01",
                       "--statuses", "generated")
        self.assertIn("RULE_NOT_BILLABLE", out)
        out = self.ctl("prep", "validate", "--period-start", "2026-04-01",
                       "--statuses", "generated", "--key", "val-apr",
                       "--business-date", "2026-04-01")
        self.assertIn("1 document(s) issued", out)
        april = self.ctl("invoice", "show", "FA-2026-000002", as_json=True)
        self.assertEqual(april["period_start"], "2026-04-01")
        self.assertEqual(april["gross_amount_minor"], "7800")
        self.assertEqual(april["issue_date"], "2026-04-01")
        lines = {l["period_start"] for l in april["lines"]}
        self.assertEqual(lines, {"2026-04-01"})

        # DEMO pays by direct debit from May: the run makes a payment
        # notice, refused until the issuer has its SEPA creditor id and
        # DEMO its mandate; then AP-2026-000001, printed with both, and
        # validated into the invoice FA-2026-000003 with the same totals.
        self.ctl("customer", "update", "--id", "DEMO", "--payment-method",
                 "direct-debit")
        self.run_month("2026-05-01", "2026-05-31", "may-1")
        may = ["--period-start", "2026-05-01", "--statuses", "generated",
               "--business-date", "2026-05-01"]
        out = self.ctl("prep", "validate", *may)
        self.assertIn("DIRECT_DEBIT_DETAILS_MISSING", out)
        self.assertIn("issuer.sepa_creditor_id is not set", out)
        self.ctl("issuer", "set", "--file", self.issuer_file(
            dict(ISSUER, sepa_creditor_id="FR72ZZZ123456")))
        out = self.ctl("prep", "validate", *may)
        self.assertIn("has no sepa_mandate", out)
        self.ctl("customer", "update", "--id", "DEMO", "--mandate-ref",
                 "RUM-DEMO-0001", "--mandate-signed", "2026-04-20")
        out = self.ctl("prep", "validate", *may, "--key", "val-may")
        self.assertIn("1 document(s) issued", out)
        notice = self.ctl("notice", "show", "AP-2026-000001", as_json=True)
        self.assertEqual(notice["gross_amount_minor"], "7800")
        self.ctl("notice", "render", "AP-2026-000001", "--pdf", pdf)
        text = subprocess.run(["pdftotext", "-layout", pdf, "-"],
                              capture_output=True, text=True, check=True,
                              timeout=CTL_TIMEOUT_S).stdout
        for expected in ("Avis de prélèvement", "AP-2026-000001",
                         "(ICS) FR72ZZZ123456", "(RUM) RUM-DEMO-0001",
                         "78,00"):
            self.assertIn(expected, " ".join(text.split()))
        out = self.ctl("notice", "validate", "--customer", "DEMO",
                       "--numbers", "AP-2026-000001", "--key", "notice-may",
                       "--business-date", "2026-05-20")
        self.assertIn("1 document(s) issued", out)
        invoice = self.ctl("invoice", "show", "FA-2026-000003", as_json=True)
        self.assertEqual(invoice["notice_number"], "AP-2026-000001")
        self.assertEqual(invoice["gross_amount_minor"], "7800")



class ItemizedCallsE2eTest(InvoicesBase):
    """The demo's direction account has the FACTURE DETAILLEE option: its
    calls are listed on the invoice, the called number's last four digits
    masked (CNIL); the reception's are not. Two calls, rated by the demo's
    plan PRO (set-up 0.05): 61 s to France from the reception
    (0.05 + 0.02 x 61/60 = 0.070333, line 0.07) and 125 s to a mobile from
    the direction (0.05 + 0.10 x 125/60 = 0.258333, line 0.26)."""

    def test_annex_lists_the_detailed_accounts_calls_masked(self):
        self.assertIn("4 entities", self.ctl("demo", "load"))
        calls = os.path.join(self.workdir, "calls.jsonl")
        with open(calls, "w", encoding="utf-8") as f:
            for rid, obj, dest, secs in (
                    ("0001", "+33142680001", "+33145550000", 61),
                    ("0002", "+33142680002", "+33612345678", 125)):
                f.write(json.dumps({
                    "platform_id": "PBX1", "record_id": rid, "object": obj,
                    "start_time": "2026-03-20T10:00:00+01:00",
                    "kind": "USAGE_KIND_VOICE", "quantity": secs,
                    "destination": dest}) + "\n")
        self.assertIn("rated 2", self.ctl("usage", "import", calls))
        self.ctl("article", "define", "--code", "TEL", "--label",
                 "Communications", "--vat", "20")
        self.ctl("contract", "create", "--customer", "DEMO", "--ref", "K-TEL",
                 "--family", "TEL", "--billing-family", "TEL",
                 "--start", "2026-01-01")
        self.ctl("rule", "create", "--customer", "DEMO", "--contract", "K-TEL",
                 "--rule", "R-TEL", "--type", "usage", "--article", "TEL",
                 "--start", "2026-01-01")
        self.ctl("issuer", "set", "--file", self.issuer_file(ISSUER))
        # The reception is an ordinary account; the direction heads the
        # demo's grouped account: one run per scope (never both in one).
        self.run_month("2026-03-01", "2026-03-31", "mar-tel")
        self.ctl("run", "start", "--period-start", "2026-03-01",
                 "--period-end", "2026-03-31", "--business-date",
                 "2026-03-01", "--scope", "grouped", "--key", "mar-grp")
        out = self.ctl("prep", "validate", "--statuses", "generated",
                       "--key", "val-tel", "--business-date", "2026-04-01")
        self.assertIn("2 document(s) issued", out)
        docs = {d["number"]: d for d in
                self.ctl("invoice", "list", as_json=True)["documents"]}
        self.assertEqual(len(docs), 2, docs)
        full = [self.ctl("invoice", "show", n, as_json=True) for n in docs]
        grouped = [d for d in full if d.get("itemized_calls")]
        ordinary = [d for d in full if not d.get("itemized_calls")]
        self.assertEqual(len(grouped), 1, full)
        self.assertEqual(ordinary[0]["net_amount_minor"], "7")   # 0.070333
        doc = grouped[0]
        self.assertEqual(doc["net_amount_minor"], "26")          # 0.258333
        self.assertEqual(doc["vat_amount_minor"], "5")           # 20 % of 0.26
        calls = doc["itemized_calls"]
        self.assertEqual(len(calls), 1, calls)
        self.assertEqual(calls[0]["object_id"], "TEL-PARIS-DIRECTION")
        self.assertEqual(calls[0]["destination_masked"], "+3361234XXXX")
        self.assertEqual(calls[0]["amount_micros"], "258333")
        pdf = os.path.join(self.workdir, "tel.pdf")
        self.ctl("invoice", "render", doc["number"], "--pdf", pdf)
        text = subprocess.run(["pdftotext", "-layout", pdf, "-"],
                              capture_output=True, text=True, check=True,
                              timeout=CTL_TIMEOUT_S).stdout
        self.assertIn("+3361234XXXX", text)
        self.assertNotIn("+33612345678", text)

if __name__ == "__main__":
    unittest.main(verbosity=2)
