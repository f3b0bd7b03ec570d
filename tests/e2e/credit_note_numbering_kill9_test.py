"""Credit-note numbers stay gapless while billingd is killed with SIGKILL
(docs/credit_notes.md), as invoice numbers do
(invoice_numbering_kill9_test.py, whose daemon handling this reuses).

Scenario (setUpClass), with an outside client (Python grpcio):
  1. billingd on the embedded journal (4 partitions), test clock
     2026-03-20; the issuing company splitting by billing family, one
     article SUB at 20 %, CUSTOMERS customers each with two flat monthly
     rules of 30.00 (families SRV and TEL); the March run, validated:
     INVOICES invoices (two per customer, in two FA series), no kill.
  2. CLIENT_THREADS clients cancel every invoice (CancelInvoice, one key
     per invoice, credit-note dates going forward from 2026-03-21) while
     the main thread SIGKILLs billingd KILLS times at seeded points (and
     its restart, at a seeded point of the start), then restarts it; a
     call that failed UNAVAILABLE is sent again with its key.
  3. FinishPending; every document; every cancel sent again with its key.
Then: one credit note per invoice, in the one series AV-2026-[INVOICE.SEQ]
(the default credit-note numbering, no family), seqs 1 to INVOICES, none
missing or repeated, each crediting its invoice whole (30.00 + 6.00 VAT),
issue dates never decreasing with the number; every resent cancel answers
its credit note and changes nothing. Replay with E2E_SEED=<seed>.
"""

import os
import random
import shutil
import threading
import time
import unittest

import grpc

import e2e_support as e2e
import invoice_numbering_kill9_test as base

ispb, isgrpc, ipb = base.ispb, base.isgrpc, base.ipb

CUSTOMERS = 100
INVOICES = CUSTOMERS * len(base.FAMILIES)
CLIENT_THREADS = 8
KILLS = 2
KILL_JITTER_MAX_S = 0.05
START_KILL_MAX_S = 0.3
RETRY_ATTEMPTS_MAX = 20
RESTART_WAIT_S = 60.0
CREDIT_SERIES = "AV-2026-[INVOICE.SEQ]"
# Credit notes are dated 2026-03-21 plus (their rank * DAYS) // INVOICES.
DAYS = 9


class CreditNoteNumberingKill9Test(unittest.TestCase):

    # The base's setup, on this class's daemon, at this class's count.
    _execute = base.InvoiceNumberingKill9Test.__dict__["_execute"]
    _set_up_customer = base.InvoiceNumberingKill9Test.__dict__[
        "_set_up_customer"]

    @classmethod
    def setUpClass(cls):
        seed = int(os.environ.get("E2E_SEED",
                                  random.SystemRandom().randrange(1 << 32)))
        print(f"\ncredit_note_numbering_kill9: seed {seed} (replay with "
              f"E2E_SEED={seed})", flush=True)
        cls.rng, cls.seed = random.Random(seed), seed
        cls.context = f"[seed {seed}]"
        cls.workdir = e2e.make_temp_dir("billing-e2e-credit-gapless-")
        cls.daemon = None
        try:
            cls.daemon = base.Daemon(os.path.join(cls.workdir, "data"),
                                     cls.workdir)
            started = time.monotonic()
            cls._invoice_march()
            print(f"credit_note_numbering_kill9: {len(cls.invoices)} "
                  f"invoices ({time.monotonic() - started:.1f}s)", flush=True)
            started = time.monotonic()
            cls._cancel_while_killing()
            print(f"credit_note_numbering_kill9: {len(cls.kills)} kills, "
                  f"{len(cls.unavailable)} calls UNAVAILABLE "
                  f"({time.monotonic() - started:.1f}s)", flush=True)
            cls._read_outcome()
        except BaseException:
            if cls.daemon is not None:
                cls.daemon.close()
            shutil.rmtree(cls.workdir, ignore_errors=True)
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            e2e.stop_billingd(cls.daemon.process, cls.daemon.channel)
        finally:
            cls.daemon.close()
            shutil.rmtree(cls.workdir, ignore_errors=True)

    @classmethod
    def _invoice_march(cls):
        d = cls.daemon
        d.invoices.SetIssuer(ispb.SetIssuerRequest(
            idempotency_key="cn-issuer", business_date=base.SETUP_DATE,
            issuer=base.issuer()), timeout=e2e.CALL_TIMEOUT_S)
        cls._execute("cn-article", base.cpb.ContractCommand(
            customer_id="@reference",
            define_article=base.cpb.DefineArticle(article=base.cpb.Article(
                article_code="SUB", label="Subscription", vat_rate_bp=2000))))
        failures = []

        def set_up(k):
            try:
                for i in range(k, CUSTOMERS, base.SETUP_THREADS):
                    cls._set_up_customer(i)
            except grpc.RpcError as e:
                failures.append((e.code(), e.details()))

        base.run_threads(base.SETUP_THREADS, set_up, "setup")
        if failures:
            raise AssertionError(f"setup refused: {failures[:3]}")
        for _ in d.invoicing.StartRun(base.gspb.RunRequest(
                idempotency_key="cn-march", business_date=base.RUN_DATE,
                period_start=base.PERIOD[0], period_end=base.PERIOD[1],
                scope=base.gpb.ACCOUNT_SCOPE_ORDINARY,
                split_by_billing_family=True), timeout=120.0):
            pass
        answer = d.invoices.ValidatePreparations(ispb.ValidateRequest(
            idempotency_key="cn-validate", business_date="2026-03-20",
            selection=base.gspb.ListPreparationsRequest(
                period_start=base.PERIOD[0], period_end=base.PERIOD[1])),
            timeout=120.0)
        cls.invoices = sorted(answer.documents, key=lambda x: x.number)
        if len(cls.invoices) != INVOICES or answer.errors:
            raise AssertionError(f"{len(cls.invoices)} invoices, "
                                 f"{list(answer.errors)[:3]}")

    @classmethod
    def _request(cls, rank):
        day = 21 + rank * DAYS // INVOICES
        return ispb.CancelInvoiceRequest(
            idempotency_key=f"cn-cancel-{rank:04d}",
            business_date=f"2026-03-{day:02d}",
            invoice_number=cls.invoices[rank].number,
            reason="Annulation de la commande")

    @classmethod
    def _cancel(cls, rank, state):
        for _ in range(RETRY_ATTEMPTS_MAX):
            generation, stub = cls.daemon.current()
            with state["cond"]:
                state["started"] += 1
                state["cond"].notify_all()
            try:
                cls.answers[rank] = stub.CancelInvoice(
                    cls._request(rank), timeout=e2e.CALL_TIMEOUT_S)
                return
            except grpc.RpcError as e:
                killed = cls.daemon.was_killed(generation)
                if e.code() == grpc.StatusCode.UNAVAILABLE:
                    cls.unavailable.append(rank)
                elif not killed:
                    cls.failures[rank] = (e.code(), e.details())
                    return
                if killed and not cls.daemon.wait_newer_than(
                        generation, RESTART_WAIT_S):
                    cls.failures[rank] = ("no restart", e.details())
                    return
                if not killed:
                    e2e.wait_for_channel_ready(grpc, cls.daemon.channel,
                                               base.READY_WAIT_S,
                                               base.READY_ATTEMPTS_MAX)
        cls.failures[rank] = ("attempts", RETRY_ATTEMPTS_MAX)

    @classmethod
    def _cancel_while_killing(cls):
        cls.answers, cls.failures, cls.unavailable, cls.kills = {}, {}, [], []
        state = {"cond": threading.Condition(), "started": 0, "done": 0}
        kill_after = sorted(cls.rng.sample(range(1, INVOICES // 2), KILLS))

        def client(k):
            try:
                for rank in range(k, INVOICES, CLIENT_THREADS):
                    cls._cancel(rank, state)
            finally:
                with state["cond"]:
                    state["done"] += 1
                    state["cond"].notify_all()

        threads = [threading.Thread(target=client, args=(k,), daemon=True)
                   for k in range(CLIENT_THREADS)]
        for t in threads:
            t.start()
        try:
            for target in kill_after:
                with state["cond"]:
                    state["cond"].wait_for(
                        lambda: state["started"] >= target or
                        state["done"] == CLIENT_THREADS,
                        timeout=base.JOIN_WAIT_S)
                    if state["started"] < target:
                        break
                # A jitter, not a wait for anything.
                time.sleep(cls.rng.uniform(0, KILL_JITTER_MAX_S))
                cls.kills.append(cls.daemon.kill_and_restart(
                    lambda: None, cls.rng.uniform(0, START_KILL_MAX_S)))
        finally:
            with cls.daemon.cond:
                cls.daemon.broken = (cls.daemon.killed_generation >=
                                     cls.daemon.generation)
                cls.daemon.cond.notify_all()
            for t in threads:
                t.join(timeout=base.JOIN_WAIT_S)
                if t.is_alive():
                    raise TimeoutError(f"{cls.context} a client is stuck")

    @classmethod
    def _documents(cls):
        return base.list_pages(cls.daemon.invoices.ListDocuments,
                               ispb.ListDocumentsRequest(
                                   page_size=base.PAGE_SIZE, detail=True,
                                   type=ipb.DOCUMENT_TYPE_CREDIT_NOTE),
                               "documents")

    @classmethod
    def _read_outcome(cls):
        cls.finished = cls.daemon.invoices.FinishPending(
            ispb.FinishPendingRequest(), timeout=e2e.CALL_TIMEOUT_S)
        cls.notes = sorted(cls._documents(), key=lambda d: d.seq)
        cls.resent, cls.resend_errors = {}, {}
        for rank in range(INVOICES):
            try:
                cls.resent[rank] = cls.daemon.invoices.CancelInvoice(
                    cls._request(rank), timeout=e2e.CALL_TIMEOUT_S)
            except grpc.RpcError as e:
                cls.resend_errors[rank] = (e.code(), e.details())
        cls.notes_after = sorted(cls._documents(), key=lambda d: d.seq)

    def test_kills_came_mid_cancellation(self):
        self.assertEqual(len(self.kills), KILLS, self.context)
        self.assertTrue(self.unavailable, f"{self.context} no UNAVAILABLE")

    def test_every_cancel_is_answered(self):
        self.assertEqual(self.failures, {}, self.context)
        self.assertEqual(sorted(self.answers), list(range(INVOICES)),
                         self.context)
        self.assertEqual(self.finished.drafts_pending, 0, self.context)

    def test_credit_notes_numbered_1_to_n_in_one_series(self):
        self.assertEqual(len(self.notes), INVOICES, self.context)
        self.assertEqual({d.series for d in self.notes}, {CREDIT_SERIES},
                         self.context)
        self.assertEqual([d.seq for d in self.notes],
                         list(range(1, INVOICES + 1)), self.context)
        wrong = [(d.seq, d.number) for d in self.notes
                 if d.number != f"AV-2026-{d.seq:06d}"]
        self.assertEqual(wrong, [], self.context)
        dates = [d.issue_date for d in self.notes]
        self.assertEqual(dates, sorted(dates), self.context)

    def test_each_invoice_is_credited_once_whole(self):
        credited = {}
        for d in self.notes:
            self.assertEqual(len(d.corrected_invoice_numbers), 1, str(d)[:400])
            credited.setdefault(d.corrected_invoice_numbers[0], []).append(d)
        self.assertEqual(sorted(credited),
                         [i.number for i in self.invoices], self.context)
        wrong = [n for n, ds in credited.items()
                 if len(ds) != 1 or ds[0].net_amount_minor != base.NET_MINOR
                 or ds[0].vat_amount_minor != base.VAT_MINOR]
        self.assertEqual(wrong, [], self.context)

    def test_resending_every_cancel_answers_its_credit_note(self):
        self.assertEqual(self.resend_errors, {}, self.context)
        self.assertEqual(self.notes_after, self.notes, self.context)
        by_invoice = {d.corrected_invoice_numbers[0]: d for d in self.notes}
        wrong = [rank for rank, a in self.resent.items()
                 if [d.number for d in a.documents] !=
                 [by_invoice[self.invoices[rank].number].number]]
        self.assertEqual(wrong, [], self.context)


if __name__ == "__main__":
    unittest.main(verbosity=2)
