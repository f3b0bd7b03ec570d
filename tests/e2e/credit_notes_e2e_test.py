"""Credit notes through billingctl, against a real billingd
(docs/credit_notes.md).

The demo's March invoice, as in invoices_e2e_test: FAX-PARIS 30.00 and
FAX-NICE 40.00 - 12.5 % = 35.00, net 65.00, VAT 13.00, gross 78.00,
FA-2026-000001 issued 2026-03-02. Cancelled on 2026-03-05 ("Résiliation
du contrat"): credit note AV-2026-000001 of both lines, 65.00 + 13.00 =
78.00, naming FA-2026-000001. The customer's balance: 78.00 as of
2026-03-04, 0.00 as of 2026-03-05. The credit note's PDF reads "Avoir",
"Facture d'origine n° FA-2026-000001" (pdftotext). Retried with its key:
the same credit note; cancelled again: refused, named. Rebuilt from the
journal (the state moved aside), the credit note is byte-identical (JSON
and PDF) and the balance the same.
"""

import os
import shutil
import subprocess
import unittest

import e2e_support as e2e
import invoices_e2e_test as inv


class CreditNotesE2eTest(inv.InvoicesBase):

    def balance(self, *extra):
        out = self.ctl("balance", "--customer", "DEMO", *extra, as_json=True)
        return {c["currency"]: c for c in out.get("currencies", [])}

    def pdf_text(self, path):
        return subprocess.run(["pdftotext", "-layout", path, "-"],
                              capture_output=True, text=True, check=True,
                              timeout=inv.CTL_TIMEOUT_S).stdout

    def render(self, number, kind):
        path = os.path.join(self.workdir, f"{number}.{kind}")
        self.ctl("credit-note", "render", number, f"--{kind}", path)
        with open(path, "rb") as f:
            return path, f.read()

    def restart_from_journal(self):
        e2e.stop_billingd(self.daemon)
        data = os.path.join(self.workdir, "data")
        shutil.move(os.path.join(data, "state"),
                    os.path.join(self.workdir, "state-before"))
        type(self).daemon = e2e.Billingd(data, self.workdir,
                                         test_clock_date="2026-03-02")

    def test_cancel_render_balance_and_replay(self):
        self.setUp_demo()
        self.ctl("issuer", "set", "--file", self.issuer_file(inv.ISSUER))
        self.run_month("2026-03-01", "2026-03-31", "mar-1")
        out = self.ctl("prep", "validate", "--statuses", "generated",
                       "--key", "val-mar")
        self.assertIn("1 document(s) issued", out)
        self.assertEqual(self.balance()["EUR"]["balance_gross_minor"], "7800")

        out = self.ctl("credit-note", "create", "--invoice", "FA-2026-000001",
                       "--reason", "Résiliation du contrat", "--key", "cn-1",
                       "--business-date", "2026-03-05")
        self.assertIn("1 document(s) issued", out)
        self.assertIn("AV-2026-000001", out)
        # The same key: the same answer, nothing new.
        out = self.ctl("credit-note", "create", "--invoice", "FA-2026-000001",
                       "--reason", "Résiliation du contrat", "--key", "cn-1",
                       "--business-date", "2026-03-05")
        self.assertIn("AV-2026-000001", out)
        notes = self.ctl("credit-note", "list", as_json=True)["documents"]
        self.assertEqual([d["number"] for d in notes], ["AV-2026-000001"])
        # Another key: refused, naming the reason.
        _, err = self.run_ctl("credit-note", "create", "--invoice",
                              "FA-2026-000001", "--reason", "encore", code=1)
        self.assertIn("INVOICE_ALREADY_CANCELLED", err)
        _, err = self.run_ctl("credit-note", "create", "--invoice",
                              "FA-2026-999999", "--reason", "x", code=1)
        self.assertIn("invoice_number: no document", err)

        av = self.ctl("credit-note", "show", "AV-2026-000001", as_json=True)
        self.assertEqual(av["type"], "DOCUMENT_TYPE_CREDIT_NOTE")
        self.assertEqual(av["corrected_invoice_numbers"], ["FA-2026-000001"])
        self.assertEqual(av["correction_reason"], "Résiliation du contrat")
        self.assertEqual(av["net_amount_minor"], "6500")
        self.assertEqual(av["vat_amount_minor"], "1300")
        self.assertEqual(av["gross_amount_minor"], "7800")
        self.assertEqual(av["issue_date"], "2026-03-05")
        self.assertEqual([l["corrects"]["invoice_number"] for l in av["lines"]],
                         ["FA-2026-000001"] * 2)

        pdf, pdf_bytes = self.render("AV-2026-000001", "pdf")
        text = self.pdf_text(pdf)
        for expected in ("Avoir", "AV-2026-000001", "Facture d'origine n°",
                         "FA-2026-000001", "Résiliation du contrat", "65,00",
                         "13,00", "78,00", "Total TTC de l'avoir",
                         "SIREN 732829320"):
            self.assertIn(expected, text)
        self.assertNotIn("pénalités", text)
        _, json_bytes = self.render("AV-2026-000001", "json")

        self.assertEqual(self.balance("--as-of", "2026-03-04")["EUR"]
                         ["balance_gross_minor"], "7800")
        after = self.balance("--as-of", "2026-03-05")["EUR"]
        self.assertEqual(after["credited_gross_minor"], "7800")
        self.assertEqual(after.get("balance_gross_minor", "0"), "0")
        text = self.ctl("balance", "--customer", "DEMO")
        self.assertIn("EUR", text)
        self.assertEqual(self.balance("--log-offset", "-1"), {})
        # Recomputed: the cancelled invoice is owed nothing and holds
        # nothing: nothing to correct, named.
        _, err = self.run_ctl("credit-note", "correct", "--customer", "DEMO",
                              "--reason", "vérification", code=1)
        self.assertIn("NOTHING_TO_CORRECT", err)

        # Replayed from the journal: the same bytes.
        self.restart_from_journal()
        _, replayed_pdf = self.render("AV-2026-000001", "pdf")
        _, replayed_json = self.render("AV-2026-000001", "json")
        self.assertEqual(replayed_json, json_bytes)
        self.assertEqual(replayed_pdf, pdf_bytes)
        self.assertEqual(self.balance()["EUR"].get("balance_gross_minor", "0"), "0")


class CorrectionE2eTest(inv.InvoicesBase):
    """Cause 1 through billingctl: FAX-PARIS +10 % from April (30.00 ->
    33.00), April invoiced FA-2026-000002 (33.00 + 35.00 = 68.00, VAT
    13.60, 81.60), the increase cancelled: credit-note correct issues
    AV-2026-000001 of 1 x 3.00 (VAT 0.60, 3.60) naming FA-2026-000002;
    March (30.00) is untouched; the balance as of 2026-04-02 goes from
    78.00 + 81.60 = 159.60 to 156.00; correcting again: nothing."""

    def test_cancelled_increase_is_credited_once(self):
        self.setUp_demo()
        self.ctl("issuer", "set", "--file", self.issuer_file(inv.ISSUER))
        self.ctl("increase", "schedule", "--customer", "DEMO", "--contract",
                 "K-FAX", "--rule", "R-PARIS", "--date", "2026-04-01",
                 "--kind", "custom", "--percent", "10", "--reason", "+10 %")
        self.run_month("2026-03-01", "2026-03-31", "mar-1")
        self.ctl("prep", "validate", "--statuses", "generated",
                 "--key", "val-mar")
        self.run_month("2026-04-01", "2026-04-30", "apr-1")
        out = self.ctl("prep", "validate", "--period-start", "2026-04-01",
                       "--statuses", "generated", "--key", "val-apr",
                       "--business-date", "2026-04-01")
        self.assertIn("1 document(s) issued", out)
        april = self.ctl("invoice", "show", "FA-2026-000002", as_json=True)
        self.assertEqual(april["gross_amount_minor"], "8160")
        self.ctl("increase", "cancel", "--customer", "DEMO", "--contract",
                 "K-FAX", "--rule", "R-PARIS", "--seq", "1", "--reason",
                 "Hausse contestée", "--business-date", "2026-04-02")
        out = self.ctl("credit-note", "correct", "--customer", "DEMO",
                       "--reason", "Hausse annulée", "--key", "corr-1",
                       "--business-date", "2026-04-02")
        self.assertIn("1 document(s) issued", out)
        av = self.ctl("credit-note", "show", "AV-2026-000001", as_json=True)
        self.assertEqual(av["corrected_invoice_numbers"], ["FA-2026-000002"])
        self.assertEqual(len(av["lines"]), 1)
        self.assertEqual(av["lines"][0]["unit_price_micros"], "3000000")
        self.assertEqual(av["net_amount_minor"], "300")
        self.assertEqual(av["vat_amount_minor"], "60")
        self.assertEqual(av["gross_amount_minor"], "360")
        text = self.ctl("credit-note", "show", "AV-2026-000001")
        self.assertIn("FA-2026-000002 line", text)
        before = self.ctl("balance", "--customer", "DEMO", "--as-of",
                          "2026-04-01", as_json=True)["currencies"][0]
        after = self.ctl("balance", "--customer", "DEMO", "--as-of",
                         "2026-04-02", as_json=True)["currencies"][0]
        self.assertEqual(before["balance_gross_minor"], "15960")
        self.assertEqual(after["balance_gross_minor"], "15600")
        _, err = self.run_ctl("credit-note", "correct", "--customer", "DEMO",
                              "--reason", "encore", code=1)
        self.assertIn("NOTHING_TO_CORRECT", err)


if __name__ == "__main__":
    unittest.main(verbosity=2)
