"""Usage re-rated after a rate-plan correction, through billingctl against
a real billingd (docs/usage.md "Correcting a plan, and re-rating",
docs/credit_notes.md cause 4).

The demo's plan PRO prices voice to France at 0.020000 a minute (first
minute then per second, set-up 0.05). Three March calls of 600 s from the
reception (+33142680001, an ordinary account) to +33145550000: 0.05 +
0.02 x 10 = 0.250000 each, the usage line 0.75 on FA-2026-000001 (VAT
0.15, 0.90). The version is corrected to 0.010000 a minute (the same
effective_from): `usage rerate` re-rates the three, 0.05 + 0.01 x 10 =
0.150000 each, the month 0.450000, "amount moved by -0.300000"; the same
key again gives the same answer, another key changes nothing. `credit-note
correct` issues AV-2026-000001 of 1 x 0.30, VAT 0.06, 0.36; again:
NOTHING_TO_CORRECT. Rebuilt from the journal (the state moved aside), the
totals and the credit note are byte-identical.
"""

import json
import os
import shutil
import unittest

import e2e_support as e2e
import invoices_e2e_test as inv


def plan(france_micros):
    return {
        "plan_id": "PRO", "effective_from": "2026-01-01T00:00:00+01:00",
        "currency": "EUR", "time_zone": "Europe/Paris",
        "entries": [
            {"kind": "USAGE_KIND_VOICE", "destination_prefix": prefix,
             "price_micros": str(price), "per_quantity": "60",
             "setup_fee_micros": "50000", "first_increment": "60",
             "increment": "1", "zone_label": label}
            for prefix, price, label in (
                ("+33", france_micros, "France"),
                ("+336", 100000, "France mobile"),
                ("+337", 100000, "France mobile"))]}


class UsageReratingE2eTest(inv.InvoicesBase):

    def write(self, name, text):
        path = os.path.join(self.workdir, name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path

    def reception_totals(self):
        out = self.ctl("usage", "totals", "--customer", "DEMO", "--month",
                       "2026-03", "--object", "TEL-PARIS-STANDARD",
                       as_json=True)
        return out["totals"]

    def test_correct_plan_rerate_and_credit_once(self):
        self.assertIn("4 entities", self.ctl("demo", "load"))
        calls = self.write("calls.jsonl", "".join(
            json.dumps({"platform_id": "PBX1", "record_id": f"r-{day}",
                        "object": "+33142680001",
                        "start_time": f"2026-03-{day}T10:00:00+01:00",
                        "kind": "USAGE_KIND_VOICE", "quantity": 600,
                        "destination": "+33145550000"}) + "\n"
            for day in (10, 11, 12)))
        self.assertIn("rated 3", self.ctl("usage", "import", calls))
        self.ctl("article", "define", "--code", "TEL", "--label",
                 "Communications", "--vat", "20")
        self.ctl("contract", "create", "--customer", "DEMO", "--ref", "K-TEL",
                 "--family", "TEL", "--billing-family", "TEL",
                 "--start", "2026-01-01")
        self.ctl("rule", "create", "--customer", "DEMO", "--contract", "K-TEL",
                 "--rule", "R-TEL", "--type", "usage", "--article", "TEL",
                 "--start", "2026-01-01")
        self.ctl("issuer", "set", "--file", self.issuer_file(inv.ISSUER))
        self.run_month("2026-03-01", "2026-03-31", "mar-tel")
        out = self.ctl("prep", "validate", "--statuses", "generated",
                       "--key", "val-tel", "--business-date", "2026-04-01")
        self.assertIn("1 document(s) issued", out)
        fa = self.ctl("invoice", "show", "FA-2026-000001", as_json=True)
        self.assertEqual(fa["net_amount_minor"], "75")
        self.assertEqual(fa["gross_amount_minor"], "90")

        self.ctl("plan", "define", "--customer", "DEMO", "--file",
                 self.write("pro.json", json.dumps(plan(10000))))
        rerate = ("usage", "rerate", "--customer", "DEMO", "--month",
                  "2026-03", "--reason", "Tarif France corrigé")
        out = self.ctl(*rerate, "--key", "rr-1", "--business-date",
                       "2026-04-02")
        self.assertIn("examined 3, re-rated 3, kept 0, amount moved by "
                      "-0.300000", out)
        # The same key: the same answers; another key: nothing changes.
        out = self.ctl(*rerate, "--key", "rr-1", "--business-date",
                       "2026-04-02")
        self.assertIn("re-rated 3", out)
        out = self.ctl(*rerate, "--key", "rr-2", "--business-date",
                       "2026-04-02")
        self.assertIn("examined 3, re-rated 0, kept 0", out)
        totals = self.reception_totals()
        self.assertEqual(len(totals), 1, totals)
        self.assertEqual(totals[0]["amount_micros"], "450000")
        self.assertEqual(totals[0]["rerated_amount_micros"], "-300000")
        _, err = self.run_ctl("usage", "rerate", "--customer", "DEMO",
                              "--month", "2026-13", "--reason", "x", code=1)
        self.assertIn("rerate_usage.month", err)
        _, err = self.run_ctl("usage", "rerate", "--customer", "DEMO",
                              "--month", "2026-05", "--reason", "x", code=1)
        self.assertIn("NOTHING_TO_RERATE", err)

        out = self.ctl("credit-note", "correct", "--customer", "DEMO",
                       "--reason", "Tarif France corrigé", "--key", "corr-1",
                       "--business-date", "2026-04-02")
        self.assertIn("1 document(s) issued", out)
        av = self.ctl("credit-note", "show", "AV-2026-000001", as_json=True)
        self.assertEqual(av["corrected_invoice_numbers"], ["FA-2026-000001"])
        self.assertEqual(len(av["lines"]), 1)
        self.assertEqual(av["lines"][0]["unit_price_micros"], "300000")
        self.assertEqual(av["net_amount_minor"], "30")
        self.assertEqual(av["vat_amount_minor"], "6")
        self.assertEqual(av["gross_amount_minor"], "36")
        _, err = self.run_ctl("credit-note", "correct", "--customer", "DEMO",
                              "--reason", "encore", code=1)
        self.assertIn("NOTHING_TO_CORRECT", err)
        json_path = os.path.join(self.workdir, "av.json")
        self.ctl("credit-note", "render", "AV-2026-000001", "--json", json_path)
        with open(json_path, "rb") as f:
            json_bytes = f.read()

        # Rebuilt from the journal: the same totals, the same credit note.
        e2e.stop_billingd(self.daemon)
        data = os.path.join(self.workdir, "data")
        shutil.move(os.path.join(data, "state"),
                    os.path.join(self.workdir, "state-before"))
        type(self).daemon = e2e.Billingd(data, self.workdir,
                                         test_clock_date="2026-03-02")
        self.assertEqual(self.reception_totals(), totals)
        self.ctl("credit-note", "render", "AV-2026-000001", "--json", json_path)
        with open(json_path, "rb") as f:
            self.assertEqual(f.read(), json_bytes)


if __name__ == "__main__":
    unittest.main(verbosity=2)
