"""A billing run through billingctl, against a real billingd.

billingctl loads the demo data set (customer DEMO, four entities, delivery
mode "main entity with a section per entity", main entity PARIS), then
gives its two fax lines a contract and a flat monthly rule each, in
advance from 2026-03-01:

  FAX-PARIS (entity PARIS, no discount)    30.00
  FAX-NICE  (entity NICE, 12.5 % discount) 40.00 - 5.00 =  35.00
  one preparation for March, to PARIS                     =  65.00

A simulation and a real run with the same run id give the same
preparation; `prep list` (with the server's counts of lines and anomalies)
and `prep show` (from the id alone) print it; `run show` prints the run's
header and progress; an ad-hoc line of 2 x 45.00 = 90.00 makes it 155.00;
delete then confirm removes it, and the next run gathers the same 65.00
again; once DEMO pays by direct debit, the run makes a payment notice.
"""

import json
import os
import re
import shutil
import subprocess
import unittest

import e2e_support as e2e

CTL_TIMEOUT_S = e2e.CTL_TIMEOUT_S
PERIOD = ("--period-start", "2026-03-01", "--period-end", "2026-03-31")
RUN = PERIOD + ("--business-date", "2026-03-01", "--scope", "ordinary")


class InvoicingE2eTest(e2e.BillingctlMixin, unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.workdir = e2e.make_temp_dir("billing-e2e-invoicing-")
        cls.daemon = e2e.Billingd(os.path.join(cls.workdir, "data"),
                                  cls.workdir)

    @classmethod
    def tearDownClass(cls):
        try:
            e2e.stop_billingd(cls.daemon)
        finally:
            shutil.rmtree(cls.workdir, ignore_errors=True)

    def load_demo_with_fax_rules(self):
        self.assertIn("4 entities", self.ctl("demo", "load"))
        self.ctl("article", "define", "--code", "FAX", "--label", "Fax line")
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

    def listed(self):
        page = self.ctl("prep", "list", *PERIOD, "--customer-from", "DEMO",
                        "--customer-to", "DEMO", "--detail", "--all",
                        as_json=True)
        return page.get("preparations", [])

    def check_march(self, prep):
        """The March preparation, by hand: 30.00 + (40.00 - 5.00)."""
        self.assertEqual(prep["invoiced_party"]["customer_id"], "DEMO")
        self.assertEqual(prep["entity_id"], "PARIS")
        self.assertEqual(prep["totals"]["gross_amount_minor"], "7000")
        self.assertEqual(prep["totals"]["discount_minor"], "500")
        self.assertEqual(prep["totals"]["net_amount_minor"], "6500")
        nets = {s["entity_id"]: s["totals"]["net_amount_minor"]
                for s in prep["sections"]}
        self.assertEqual(nets, {"PARIS": "3000", "NICE": "3500"})
        self.assertNotIn("anomalies", prep)

    def test_run_list_show_add_line_delete_confirm(self):
        self.load_demo_with_fax_rules()
        sim = self.ctl("run", "simulate", *RUN, "--key", "mar-1",
                       as_json=True)
        self.assertEqual(len(sim["preparation_list"]), 1)
        self.check_march(sim["preparation_list"][0])
        text = self.ctl("run", "simulate", *RUN)
        self.assertIn("1 preparation, 0 in anomaly", text)
        self.assertIn("65.00", text)

        result, _ = self.run_ctl("run", "start", *RUN, "--key", "mar-1",
                                 as_json=True)
        self.assertEqual(result["customers_done"], result["customers_total"])
        self.assertEqual(result["preparations"], "1")
        [prep] = self.listed()
        self.check_march(prep)
        pid = prep["preparation_id"]
        # The same gather: the simulation showed what the run recorded.
        self.assertEqual(prep, sim["preparation_list"][0])

        listed = self.ctl("prep", "list", *PERIOD, "--statuses", "generated")
        self.assertIn(pid, listed)
        self.assertIn("65.00", listed)
        # List mode carries the server's counts: no anomaly, two lines.
        page = self.ctl("prep", "list", *PERIOD, "--customer-from", "DEMO",
                        "--customer-to", "DEMO", as_json=True)
        self.assertNotIn("lines", page["preparations"][0])
        self.assertEqual(page["counts"][0]["preparation_id"], pid)
        self.assertEqual(page["counts"][0]["lines"], 2)
        self.assertNotIn("anomalies", page["counts"][0])  # 0, not printed
        self.assertRegex(listed, re.escape(pid) + r" .* 0\n")

        # The run's header: period, date, scope, and every customer done.
        shown_run = self.ctl("run", "show", "mar-1")
        self.assertIn("period      2026-03-01..2026-03-31, rules due as of "
                      "2026-03-01, ordinary scope", shown_run)
        self.assertIn(f"progress    {result['customers_done']} of ",
                      shown_run)
        self.assertIn("gathered, complete", shown_run)
        self.assertIn("mar-1", self.ctl("run", "list"))

        # The id begins with its holder: no --customer needed.
        self.assertEqual(self.ctl("prep", "show", pid),
                         self.ctl("prep", "show", pid, "--customer", "DEMO"))
        shown = self.ctl("prep", "show", pid)
        for expected in ("invoiced    DEMO Hôtels Belle Étoile SA",
                         # The main entity's own address.
                         "address     12 boulevard Haussmann, 75009 Paris",
                         "2026-03-01..2026-03-31", "main-entity-detailed",
                         "entity NICE", "entity PARIS",
                         "FAX Fax FAX-NICE  2026-03-01..2026-03-31  object "
                         "FAX-NICE",
                         "1.000 x 40.000000 = 40.00, discount 12.50 % = 5.00,"
                         " net 35.00",
                         "1.000 x 30.000000 = 30.00, discount -, net 30.00",
                         "total       gross 70.00, discount 5.00, net 65.00"):
            self.assertIn(expected, shown)

        added = self.ctl("prep", "add-line", "--customer", "DEMO", "--id", pid,
                         "--article", "FAX", "--label", "Toner",
                         "--quantity", "2", "--unit-price", "45.00")
        self.assertIn("net 155.00", added)
        [prep] = self.listed()
        self.assertEqual(prep["totals"]["net_amount_minor"], "15500")

        self.ctl("prep", "delete", "--customer", "DEMO", "--ids", pid)
        [prep] = self.listed()
        self.assertTrue(prep["deletion_pending"])
        self.ctl("prep", "confirm", "--customer", "DEMO", "--ids", pid)
        self.assertEqual(self.listed(), [])

        # What it held is gathered again by the next run.
        self.ctl("run", "start", *RUN, "--key", "mar-2")
        [prep] = self.listed()
        self.check_march(prep)
        self.assertEqual(prep["run_id"], "mar-2")

        # DEMO pays by direct debit from now on: the next run makes the
        # notice sent before the debit (PN), the same 65.00, and replaces
        # the generated invoice.
        self.assertIn("payment   transfer",
                      self.ctl("customer", "get", "DEMO"))
        self.assertIn("payment   direct-debit",
                      self.ctl("customer", "update", "--id", "DEMO",
                               "--payment-method", "direct-debit"))
        self.ctl("run", "start", *RUN, "--key", "mar-3")
        [prep] = self.listed()
        self.check_march(prep)
        self.assertEqual(prep["type"], "PREPARATION_TYPE_PAYMENT_NOTICE")
        self.assertTrue(prep["preparation_id"].endswith("/PN"))
        self.assertIn("payment     direct-debit",
                      self.ctl("prep", "show", prep["preparation_id"]))
        self.assertEqual(prep["invoiced_party"]["payment_method"],
                         "PAYMENT_METHOD_DIRECT_DEBIT")


if __name__ == "__main__":
    unittest.main(verbosity=2)
