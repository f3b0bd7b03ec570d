"""Billing structure end to end, through gRPC and billingctl.

billingd runs on the embedded journal with its test clock at
TEST_CLOCK_DATE (2026-03-20); the cases call BillingStructureService with
grpcio over the generated stubs (a client we did not write), and billingctl
as a subprocess for the demo data set and the CLI verbs. Each case uses its
own customer codes, so that the cases hold in any order.

The issue's scenario: object X on entity A at 0 %, reassigned to entity B at
10 % on 2026-03-20. For February it is billed to A at 0 %; for March (the
whole month, whatever the day of the command) to B at 10 %; as the log stood
before the reassignment, A at 0 %. Bad reassignments are refused with the
field named, and change nothing.
"""

import itertools
import json
import os
import shutil
import subprocess
import unittest

import grpc

import e2e_support as e2e

customer_pb2, customer_service_pb2, customer_service_grpc = e2e.import_stubs()
# import_stubs put BILLING_PY_STUBS on sys.path.
from billing.v1 import structure_pb2 as spb  # noqa: E402
from billing.v1 import structure_service_pb2 as sspb  # noqa: E402
from billing.v1 import structure_service_pb2_grpc as ssgrpc  # noqa: E402

# Deadline of one billingctl run, in seconds (its own call deadline is 30 s).
CTL_TIMEOUT_S = 60.0
TIMEOUT = e2e.CALL_TIMEOUT_S

_keys = itertools.count(1)


def new_key():
    return f"e2e-structure-{next(_keys)}"


class StructureE2eTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.workdir = e2e.make_temp_dir("billing-e2e-structure-")
        cls.data_dir = os.path.join(cls.workdir, "data")
        cls.daemon = e2e.Billingd(cls.data_dir, cls.workdir)
        cls.channel = e2e.connect(grpc, cls.daemon)
        cls.customers = customer_service_grpc.CustomerServiceStub(cls.channel)
        cls.structure = ssgrpc.BillingStructureServiceStub(cls.channel)

    @classmethod
    def tearDownClass(cls):
        e2e.stop_billingd(cls.daemon, cls.channel)
        shutil.rmtree(cls.workdir, ignore_errors=True)

    # -- gRPC helpers -----------------------------------------------------

    def rpc_error(self, code, field, call, request):
        """`call(request)` must fail with `code`, the message naming `field`
        first; returns the message."""
        with self.assertRaises(grpc.RpcError) as caught:
            call(request, timeout=TIMEOUT)
        err = caught.exception
        self.assertEqual(err.code(), code, err.details())
        self.assertTrue(err.details().startswith(field + ":"),
                        f"{err.details()!r} does not name {field!r}")
        return err.details()

    def create_customer(self, customer_id):
        self.customers.CreateCustomer(
            customer_service_pb2.CreateCustomerRequest(
                idempotency_key=new_key(), business_date="2026-01-02",
                customer=customer_pb2.Customer(
                    customer_id=customer_id, name=f"Customer {customer_id}")),
            timeout=TIMEOUT)

    def create_entity(self, customer_id, entity_id, **fields):
        return self.structure.CreateBillingEntity(
            sspb.CreateBillingEntityRequest(
                idempotency_key=new_key(), business_date="2026-01-02",
                customer_id=customer_id,
                entity=spb.BillingEntity(entity_id=entity_id,
                                         name=f"Site {entity_id}", **fields)),
            timeout=TIMEOUT)

    def create_object(self, customer_id, object_id, kind, entity_id="",
                      discount="", business_date="2026-01-15", **fields):
        return self.structure.CreateObject(
            sspb.CreateObjectRequest(
                idempotency_key=new_key(), business_date=business_date,
                customer_id=customer_id,
                object=spb.BillableObject(object_id=object_id, kind=kind,
                                          **fields),
                entity_id=entity_id, discount_percent=discount),
            timeout=TIMEOUT)

    def reassign_request(self, customer_id, entity_id, discount, ids=None,
                         business_date="2026-03-20", **selection):
        if ids is not None:
            selection["ids"] = spb.ObjectSelection.Ids(object_ids=ids)
        return sspb.ReassignObjectsRequest(
            idempotency_key=new_key(), business_date=business_date,
            customer_id=customer_id,
            selection=spb.ObjectSelection(**selection),
            entity_id=entity_id, discount_percent=discount)

    def reassign(self, *args, **kwargs):
        return self.structure.ReassignObjects(
            self.reassign_request(*args, **kwargs), timeout=TIMEOUT)

    def group(self, customer_id, account_id, role, head=""):
        return sspb.SetAccountGroupRequest(
            idempotency_key=new_key(), business_date="2026-01-20",
            customer_id=customer_id, account_id=account_id, role=role,
            head_account_id=head)

    def get(self, customer_id, object_id, **as_of):
        return self.structure.GetObject(
            sspb.GetObjectRequest(customer_id=customer_id,
                                  object_id=object_id, **as_of),
            timeout=TIMEOUT)

    def history(self, customer_id, object_id):
        return list(self.structure.GetObjectHistory(
            sspb.GetObjectHistoryRequest(customer_id=customer_id,
                                         object_id=object_id),
            timeout=TIMEOUT).changes)

    def list_all(self, customer_id, page_size=0, **filters):
        """Every page of ListObjects; fails on a server that never ends."""
        views, token = [], ""
        for _ in range(1000):
            page = self.structure.ListObjects(
                sspb.ListObjectsRequest(customer_id=customer_id,
                                        page_size=page_size,
                                        page_token=token, **filters),
                timeout=TIMEOUT)
            views.extend(page.objects)
            token = page.next_page_token
            if not token:
                return views
        self.fail("ListObjects never ended")

    def assert_assignment(self, view, entity_id, hundredths):
        self.assertEqual(
            (view.assignment.entity_id, view.assignment.discount_hundredths),
            (entity_id, hundredths), str(view))
        self.assertEqual(view.assignment, view.change.assignment)

    def scenario(self, customer_id):
        """Customer with entities A (main) and B; object X created on
        2026-01-15 on A at 0 %, reassigned to B at 10 % on 2026-03-20."""
        self.create_customer(customer_id)
        a = self.create_entity(customer_id, "A")
        self.assertTrue(a.main)  # the first entity is the main one
        self.create_entity(customer_id, "B")
        x = self.create_object(customer_id, "X",
                               spb.OBJECT_KIND_CONFERENCE_BRIDGE,
                               label="Salle de réunion")
        self.assertEqual(x.assignment.entity_id, "A")  # default: main
        self.assertEqual(x.assignment.discount_hundredths, 0)
        self.assertEqual(x.created_on, "2026-01-15")
        self.assertEqual(x.assignment_month, "2026-01")
        moved = self.reassign(customer_id, "B", "10", ids=["X"])
        self.assertEqual(moved.reassigned_count, 1)
        self.assertEqual(moved.effective_month, "2026-03")

    # -- the scenario ----------------------------------------------

    def test_february_is_billed_to_a_and_march_to_b_at_10_percent(self):
        self.scenario("s-month")
        self.assert_assignment(self.get("s-month", "X", month="2026-02"),
                               "A", 0)
        self.assert_assignment(self.get("s-month", "X", month="2026-01"),
                               "A", 0)
        march = self.get("s-month", "X", month="2026-03")
        self.assert_assignment(march, "B", 1000)
        self.assertEqual(march.change.effective_month, "2026-03")
        self.assertEqual(march.change.business_date, "2026-03-20")
        self.assertEqual(march.change.cause, "reassigned")
        # Later months keep it; no month given: the latest.
        self.assert_assignment(self.get("s-month", "X", month="2026-07"),
                               "B", 1000)
        self.assert_assignment(self.get("s-month", "X"), "B", 1000)
        # Before its creation month the object was not billed at all.
        self.rpc_error(grpc.StatusCode.NOT_FOUND, "month",
                       self.structure.GetObject,
                       sspb.GetObjectRequest(customer_id="s-month",
                                             object_id="X", month="2025-12"))

    def test_march_is_b_whatever_the_day_of_the_reassignment(self):
        c = "s-days"
        self.create_customer(c)
        self.create_entity(c, "A")
        self.create_entity(c, "B")
        for day in ("01", "20", "31"):
            self.create_object(c, f"X{day}", spb.OBJECT_KIND_FAX_LINE)
            moved = self.reassign(c, "B", "10", ids=[f"X{day}"],
                                  business_date=f"2026-03-{day}")
            self.assertEqual(moved.effective_month, "2026-03")
        for day in ("01", "20", "31"):
            self.assert_assignment(self.get(c, f"X{day}", month="2026-02"),
                                   "A", 0)
            self.assert_assignment(self.get(c, f"X{day}", month="2026-03"),
                                   "B", 1000)
        march_on_b = self.list_all(c, entity_id="B", month="2026-03")
        self.assertEqual([v.object.object_id for v in march_on_b],
                         ["X01", "X20", "X31"])
        self.assertEqual(self.list_all(c, entity_id="B", month="2026-02"), [])

    def test_as_of_the_log_offset_before_the_reassignment_is_a_at_0(self):
        self.scenario("s-offset")
        changes = self.history("s-offset", "X")
        self.assertEqual(len(changes), 2)
        created, reassigned = changes
        self.assertLess(created.position.offset, reassigned.position.offset)
        self.assertEqual(created.position.partition,
                         reassigned.position.partition)
        # Just after the creation's record, and just before the
        # reassignment's: A at 0 %.
        self.assert_assignment(
            self.get("s-offset", "X", log_offset=created.position.offset),
            "A", 0)
        self.assert_assignment(
            self.get("s-offset", "X",
                     log_offset=reassigned.position.offset - 1), "A", 0)
        # From the reassignment's record on: B at 10 %.
        self.assert_assignment(
            self.get("s-offset", "X", log_offset=reassigned.position.offset),
            "B", 1000)
        # Before the object existed: not found, the field named.
        self.rpc_error(grpc.StatusCode.NOT_FOUND, "log_offset",
                       self.structure.GetObject,
                       sspb.GetObjectRequest(
                           customer_id="s-offset", object_id="X",
                           log_offset=created.position.offset - 1))
        self.rpc_error(grpc.StatusCode.INVALID_ARGUMENT, "log_offset",
                       self.structure.GetObject,
                       sspb.GetObjectRequest(customer_id="s-offset",
                                             object_id="X", log_offset=-2))

    def test_history_has_the_creation_and_the_reassignment(self):
        self.scenario("s-history")
        changes = self.history("s-history", "X")
        self.assertEqual(
            [(c.effective_month, c.assignment.entity_id,
              c.assignment.discount_hundredths, c.cause, c.business_date)
             for c in changes],
            [("2026-01", "A", 0, "created", "2026-01-15"),
             ("2026-03", "B", 1000, "reassigned", "2026-03-20")])

    def test_bad_reassignments_are_refused_and_change_nothing(self):
        c = "s-bad"
        self.scenario(c)
        self.create_customer("s-bad-other")
        self.create_entity("s-bad-other", "A")
        self.create_object("s-bad-other", "THEIRS", spb.OBJECT_KIND_FAX_LINE)
        before_history = self.history(c, "X")
        before_list = self.list_all(c)
        not_found = grpc.StatusCode.NOT_FOUND
        invalid = grpc.StatusCode.INVALID_ARGUMENT
        call = self.structure.ReassignObjects
        self.rpc_error(not_found, "entity_id", call,
                       self.reassign_request(c, "NOWHERE", "10", ids=["X"]))
        err = self.rpc_error(not_found, "selection.ids.object_ids[1]", call,
                             self.reassign_request(c, "B", "10",
                                                   ids=["X", "GHOST"]))
        self.assertIn("GHOST", err)
        # An object of another customer is not one of this customer's.
        self.rpc_error(not_found, "selection.ids.object_ids[0]", call,
                       self.reassign_request(c, "B", "10", ids=["THEIRS"]))
        for discount in ("100.01", "10.555", "-1", "ten"):
            err = self.rpc_error(invalid, "discount_percent", call,
                                 self.reassign_request(c, "B", discount,
                                                       ids=["X"]))
            self.assertIn(discount, err)
        # Empty selections: none chosen, no ids, a kind with no object.
        self.rpc_error(invalid, "selection", call,
                       self.reassign_request(c, "B", "10"))
        self.rpc_error(invalid, "selection.ids.object_ids", call,
                       self.reassign_request(c, "B", "10", ids=[]))
        self.rpc_error(invalid, "selection", call,
                       self.reassign_request(
                           c, "B", "10", kind=spb.OBJECT_KIND_VOICE_MENU))
        self.rpc_error(invalid, "selection.ids.object_ids[1]", call,
                       self.reassign_request(c, "B", "10", ids=["X", "X"]))
        # The request's own fields.
        self.rpc_error(invalid, "customer_id", call,
                       self.reassign_request("bad/id", "B", "10", ids=["X"]))
        self.rpc_error(not_found, "customer_id", call,
                       self.reassign_request("nobody", "B", "10", ids=["X"]))
        self.rpc_error(invalid, "business_date", call,
                       self.reassign_request(c, "B", "10", ids=["X"],
                                             business_date="2026-02-30"))
        req = self.reassign_request(c, "B", "10", ids=["X"])
        req.idempotency_key = ""
        self.rpc_error(invalid, "idempotency_key", call, req)
        # Nothing changed.
        self.assertEqual(self.history(c, "X"), before_history)
        self.assertEqual(self.list_all(c), before_list)
        self.assertEqual(len(before_history), 2)

    def test_reassign_by_kind_all_and_account_with_children(self):
        c = "s-select"
        self.create_customer(c)
        self.create_entity(c, "A")
        self.create_entity(c, "B")
        self.create_entity(c, "C")
        self.create_object(c, "ACC1", spb.OBJECT_KIND_ACCOUNT)
        self.create_object(c, "ACC1-OPT", spb.OBJECT_KIND_OPTION,
                           parent_id="ACC1", label="Recording")
        self.create_object(c, "ACC1-TEL", spb.OBJECT_KIND_PHONE_NUMBER,
                           parent_id="ACC1", e164="+33142680011")
        self.create_object(c, "ACC2", spb.OBJECT_KIND_ACCOUNT)
        self.create_object(c, "CONF1", spb.OBJECT_KIND_CONFERENCE_BRIDGE)
        self.create_object(c, "CONF2", spb.OBJECT_KIND_CONFERENCE_BRIDGE,
                           entity_id="C", discount="5")

        moved = self.reassign(c, "B", "10.5",
                              kind=spb.OBJECT_KIND_CONFERENCE_BRIDGE)
        self.assertEqual(moved.reassigned_count, 2)
        moved = self.reassign(c, "C", "",
                              account_with_children="ACC1",
                              business_date="2026-04-02")
        self.assertEqual(moved.reassigned_count, 3)
        self.assertEqual(moved.effective_month, "2026-04")
        march = {v.object.object_id: (v.assignment.entity_id,
                                      v.assignment.discount_hundredths)
                 for v in self.list_all(c, month="2026-03")}
        self.assertEqual(march, {
            "ACC1": ("A", 0), "ACC1-OPT": ("A", 0), "ACC1-TEL": ("A", 0),
            "ACC2": ("A", 0), "CONF1": ("B", 1050), "CONF2": ("B", 1050)})
        april = {v.object.object_id: v.assignment.entity_id
                 for v in self.list_all(c, month="2026-04")}
        self.assertEqual(april, {"ACC1": "C", "ACC1-OPT": "C",
                                 "ACC1-TEL": "C", "ACC2": "A",
                                 "CONF1": "B", "CONF2": "B"})
        moved = self.reassign(c, "A", "0", all=True,
                              business_date="2026-05-01")
        self.assertEqual(moved.reassigned_count, 6)
        self.assertEqual(
            {v.assignment.entity_id for v in self.list_all(c)}, {"A"})

    # -- grouped accounts -------------------------------------------------

    def test_grouped_account_rules(self):
        c = "s-group"
        self.create_customer(c)
        self.create_entity(c, "A")
        for account in ("HEAD", "HEAD2", "M1", "M2", "LONE"):
            self.create_object(c, account, spb.OBJECT_KIND_ACCOUNT)
        self.create_object(c, "M1-OPT", spb.OBJECT_KIND_OPTION,
                           parent_id="M1", label="Supervision")
        self.create_customer("s-group-other")
        self.create_entity("s-group-other", "A")
        self.create_object("s-group-other", "FOREIGN",
                           spb.OBJECT_KIND_ACCOUNT)
        call = self.structure.SetAccountGroup

        head = call(self.group(c, "HEAD", spb.GROUP_ROLE_HEAD),
                    timeout=TIMEOUT)
        self.assertEqual(head.account.group_role, spb.GROUP_ROLE_HEAD)
        self.assertEqual(head.account.group_head_id, "HEAD")
        m1 = call(self.group(c, "M1", spb.GROUP_ROLE_MEMBER, "HEAD"),
                  timeout=TIMEOUT)
        self.assertEqual(m1.account.group_role, spb.GROUP_ROLE_MEMBER)
        self.assertEqual(m1.account.group_head_id, "HEAD")

        precondition = grpc.StatusCode.FAILED_PRECONDITION
        # A head that is itself a member.
        self.rpc_error(precondition, "account_id", call,
                       self.group(c, "M1", spb.GROUP_ROLE_HEAD))
        # A member naming a non-head (LONE is in no group).
        self.rpc_error(precondition, "head_account_id", call,
                       self.group(c, "M2", spb.GROUP_ROLE_MEMBER, "LONE"))
        # ... or a member (a cycle M1 -> M2 -> M1 can never form).
        self.rpc_error(precondition, "head_account_id", call,
                       self.group(c, "M2", spb.GROUP_ROLE_MEMBER, "M1"))
        # A head with members cannot leave its role.
        err = self.rpc_error(precondition, "account_id", call,
                             self.group(c, "HEAD", spb.GROUP_ROLE_NONE))
        self.assertIn("HEAD", err)
        call(self.group(c, "HEAD2", spb.GROUP_ROLE_HEAD), timeout=TIMEOUT)
        self.rpc_error(precondition, "account_id", call,
                       self.group(c, "HEAD", spb.GROUP_ROLE_MEMBER, "HEAD2"))
        # Not an account of this customer; an option; itself.
        self.rpc_error(grpc.StatusCode.NOT_FOUND, "head_account_id", call,
                       self.group(c, "M2", spb.GROUP_ROLE_MEMBER, "FOREIGN"))
        self.rpc_error(grpc.StatusCode.NOT_FOUND, "account_id", call,
                       self.group(c, "M1-OPT", spb.GROUP_ROLE_HEAD))
        self.rpc_error(grpc.StatusCode.INVALID_ARGUMENT, "head_account_id",
                       call, self.group(c, "M2", spb.GROUP_ROLE_MEMBER, "M2"))
        self.rpc_error(grpc.StatusCode.INVALID_ARGUMENT, "head_account_id",
                       call, self.group(c, "M2", spb.GROUP_ROLE_MEMBER))

        # A member's option is invoiced on the head's invoice.
        details = self.structure.GetBillingDetails(
            sspb.GetBillingDetailsRequest(customer_id=c, object_id="M1-OPT"),
            timeout=TIMEOUT)
        self.assertEqual(details.invoice_account_id, "HEAD")
        self.assertEqual(details.source, "group_head")
        own = self.structure.GetBillingDetails(
            sspb.GetBillingDetailsRequest(customer_id=c, object_id="LONE"),
            timeout=TIMEOUT)
        self.assertEqual(own.invoice_account_id, "LONE")

        # Once its member left, the head may leave too.
        call(self.group(c, "M1", spb.GROUP_ROLE_NONE), timeout=TIMEOUT)
        left = call(self.group(c, "HEAD", spb.GROUP_ROLE_NONE),
                    timeout=TIMEOUT)
        self.assertEqual(left.account.group_role, spb.GROUP_ROLE_NONE)
        self.assertEqual(left.account.group_head_id, "")

    # -- queries -----------------------------------------------------------

    def test_list_objects_filters_and_pages(self):
        c = "s-list"
        self.create_customer(c)
        self.create_entity(c, "A")
        self.create_entity(c, "B")
        ids = []
        for i in range(7):
            kind = (spb.OBJECT_KIND_CALL_QUEUE if i % 2 else
                    spb.OBJECT_KIND_VOICE_MENU)
            self.create_object(c, f"OBJ-{i}", kind,
                               entity_id="B" if i < 3 else "A",
                               business_date="2026-02-10" if i == 6
                               else "2026-01-15")
            ids.append(f"OBJ-{i}")
        paged = self.list_all(c, page_size=2)
        self.assertEqual([v.object.object_id for v in paged], ids)
        first = self.structure.ListObjects(
            sspb.ListObjectsRequest(customer_id=c, page_size=2),
            timeout=TIMEOUT)
        self.assertEqual(len(first.objects), 2)
        self.assertTrue(first.next_page_token)
        # A full last page does not promise another one.
        exact = self.structure.ListObjects(
            sspb.ListObjectsRequest(customer_id=c, page_size=7),
            timeout=TIMEOUT)
        self.assertEqual(len(exact.objects), 7)
        self.assertEqual(exact.next_page_token, "")
        queues = self.list_all(c, page_size=1,
                               kind=spb.OBJECT_KIND_CALL_QUEUE)
        self.assertEqual([v.object.object_id for v in queues],
                         ["OBJ-1", "OBJ-3", "OBJ-5"])
        on_b = self.list_all(c, entity_id="B")
        self.assertEqual([v.object.object_id for v in on_b],
                         ["OBJ-0", "OBJ-1", "OBJ-2"])
        # January: OBJ-6 (created in February) was not billed yet.
        january = self.list_all(c, month="2026-01")
        self.assertEqual([v.object.object_id for v in january], ids[:6])

        invalid = grpc.StatusCode.INVALID_ARGUMENT
        call = self.structure.ListObjects
        self.rpc_error(invalid, "page_token", call,
                       sspb.ListObjectsRequest(customer_id=c,
                                               page_token="not a token!"))
        self.rpc_error(invalid, "page_size", call,
                       sspb.ListObjectsRequest(customer_id=c, page_size=-1))
        self.rpc_error(invalid, "month", call,
                       sspb.ListObjectsRequest(customer_id=c, month="2026-3"))
        self.rpc_error(invalid, "kind", call,
                       sspb.ListObjectsRequest(customer_id=c, kind=99))
        self.rpc_error(invalid, "entity_id", call,
                       sspb.ListObjectsRequest(customer_id=c,
                                               entity_id="bad/entity"))
        self.rpc_error(grpc.StatusCode.NOT_FOUND, "entity_id", call,
                       sspb.ListObjectsRequest(customer_id=c,
                                               entity_id="NOWHERE"))
        self.rpc_error(grpc.StatusCode.NOT_FOUND, "customer_id", call,
                       sspb.ListObjectsRequest(customer_id="nobody"))
        self.rpc_error(invalid, "customer_id", call,
                       sspb.ListObjectsRequest(customer_id=""))

    def test_get_object_bad_inputs(self):
        self.scenario("s-get")
        call = self.structure.GetObject
        self.rpc_error(grpc.StatusCode.NOT_FOUND, "object_id", call,
                       sspb.GetObjectRequest(customer_id="s-get",
                                             object_id="GHOST"))
        self.rpc_error(grpc.StatusCode.INVALID_ARGUMENT, "object_id", call,
                       sspb.GetObjectRequest(customer_id="s-get",
                                             object_id="no space"))
        self.rpc_error(grpc.StatusCode.INVALID_ARGUMENT, "month", call,
                       sspb.GetObjectRequest(customer_id="s-get",
                                             object_id="X", month="2026-13"))
        self.rpc_error(grpc.StatusCode.NOT_FOUND, "customer_id", call,
                       sspb.GetObjectRequest(customer_id="nobody",
                                             object_id="X"))
        self.rpc_error(grpc.StatusCode.NOT_FOUND, "object_id",
                       self.structure.GetObjectHistory,
                       sspb.GetObjectHistoryRequest(customer_id="s-get",
                                                    object_id="GHOST"))
        self.rpc_error(grpc.StatusCode.NOT_FOUND, "object_id",
                       self.structure.GetBillingDetails,
                       sspb.GetBillingDetailsRequest(customer_id="s-get",
                                                     object_id="GHOST"))

    def test_same_key_twice_reassigns_once(self):
        self.scenario("s-idem")
        req = self.reassign_request("s-idem", "A", "20", ids=["X"],
                                    business_date="2026-04-01")
        first = self.structure.ReassignObjects(req, timeout=TIMEOUT)
        again = self.structure.ReassignObjects(req, timeout=TIMEOUT)
        self.assertEqual(first, again)
        self.assertEqual(len(self.history("s-idem", "X")), 3)
        req.discount_percent = "30"
        self.rpc_error(grpc.StatusCode.FAILED_PRECONDITION, "idempotency_key",
                       self.structure.ReassignObjects, req)

    # -- billingctl --------------------------------------------------------

    def ctl(self, *args, json_output=False):
        argv = [e2e.billingctl_path(), "--server", self.daemon.address]
        if json_output:
            argv.append("--json")
        argv.extend(args)
        try:
            return subprocess.run(argv, capture_output=True, text=True,
                                  timeout=CTL_TIMEOUT_S,
                                  stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired as e:
            self.fail(f"billingctl {' '.join(args)} still running after "
                      f"{CTL_TIMEOUT_S}s: {e.stdout!r} {e.stderr!r}")

    def ok(self, *args, json_output=False):
        r = self.ctl(*args, json_output=json_output)
        self.assertEqual(r.returncode, 0,
                         f"billingctl {' '.join(args)}: exit {r.returncode}"
                         f"\nstdout: {r.stdout}\nstderr: {r.stderr}")
        return json.loads(r.stdout) if json_output else r.stdout

    def refused(self, code, *args):
        r = self.ctl(*args)
        self.assertEqual(r.returncode, 1,
                         f"billingctl {' '.join(args)}: exit {r.returncode}"
                         f"\nstdout: {r.stdout}\nstderr: {r.stderr}")
        self.assertIn(f"error: {code}: ", r.stderr)
        return r.stderr

    def demo_state(self):
        entities = self.structure.ListBillingEntities(
            sspb.ListBillingEntitiesRequest(customer_id="DEMO"),
            timeout=TIMEOUT)
        return list(entities.entities), self.list_all("DEMO")

    def test_demo_load_twice_then_reassign_conference_bridges(self):
        out = self.ok("demo", "load")
        self.assertIn("4 entities", out)
        entities, objects = self.demo_state()
        self.assertEqual([e.entity_id for e in entities],
                         ["LILLE", "LYON", "NICE", "PARIS"])
        self.assertEqual([e.entity_id for e in entities if e.main], ["PARIS"])
        kinds = {v.object.kind for v in objects}
        self.assertEqual(kinds, set(range(1, 9)))  # every kind
        heads = [v.object.object_id for v in objects
                 if v.object.account.group_role == spb.GROUP_ROLE_HEAD]
        members = [v.object.account.group_head_id for v in objects
                   if v.object.account.group_role == spb.GROUP_ROLE_MEMBER]
        self.assertEqual(len(heads), 1)
        self.assertEqual(members, heads * 2)
        self.assertTrue(all(v.object.created_on == "2026-01-05"
                            for v in objects))
        customer = self.customers.GetCustomer(
            customer_service_pb2.GetCustomerRequest(customer_id="DEMO"),
            timeout=TIMEOUT)
        self.assertEqual(customer.invoice_delivery_mode,
                         customer_pb2.INVOICE_DELIVERY_MODE_MAIN_ENTITY_DETAILED)
        self.assertEqual(customer.version, 1)

        # Loading again succeeds and changes nothing.
        self.assertEqual(self.ok("demo", "load"), out)
        self.assertEqual(self.demo_state(), (entities, objects))

        bridges = sorted(v.object.object_id for v in objects
                         if v.object.kind ==
                         spb.OBJECT_KIND_CONFERENCE_BRIDGE)
        self.assertGreaterEqual(len(bridges), 2)
        out = self.ok("reassign", "--customer", "DEMO", "--kind",
                      "conference-bridge", "--entity", "LYON", "--discount",
                      "10", "--business-date", "2026-03-20")
        self.assertIn(f"reassigned {len(bridges)} objects", out)
        self.assertIn("10.00 %", out)
        self.assertIn("2026-03", out)

        march = self.ok("object", "list", "--customer", "DEMO", "--kind",
                        "conference-bridge", "--month", "2026-03",
                        json_output=True)
        self.assertEqual(
            sorted((v["object"]["object_id"], v["assignment"]["entity_id"],
                    v["assignment"]["discount_hundredths"])
                   for v in march["objects"]),
            [(b, "LYON", 1000) for b in bridges])
        february = self.ok("object", "list", "--customer", "DEMO", "--kind",
                           "conference-bridge", "--month", "2026-02",
                           json_output=True)
        self.assertNotIn("LYON", {v["assignment"]["entity_id"]
                                  for v in february["objects"]})
        self.assertEqual(
            {v["assignment"].get("discount_hundredths", 0)
             for v in february["objects"]}, {0})

        # The human output of the proof in the README.
        paris_bridge = next(v.object.object_id for v in objects
                            if v.object.kind ==
                            spb.OBJECT_KIND_CONFERENCE_BRIDGE and
                            v.assignment.entity_id == "PARIS")
        feb = self.ok("object", "get", "--customer", "DEMO", "--id",
                      paris_bridge, "--month", "2026-02")
        self.assertRegex(feb, r"(?m)^entity\s+PARIS$")
        self.assertRegex(feb, r"(?m)^discount\s+0\.00 %$")
        mar = self.ok("object", "get", "--customer", "DEMO", "--id",
                      paris_bridge, "--month", "2026-03")
        self.assertRegex(mar, r"(?m)^entity\s+LYON$")
        self.assertRegex(mar, r"(?m)^discount\s+10\.00 %$")
        hist = self.ok("object", "history", "--customer", "DEMO", "--id",
                       paris_bridge)
        lines = hist.splitlines()
        self.assertEqual(len(lines), 3, hist)  # header and two changes
        self.assertRegex(lines[1], r"^2026-01\s+PARIS\s+0\.00 %\s+created")
        self.assertRegex(lines[2],
                         r"^2026-03\s+LYON\s+10\.00 %\s+reassigned\s+"
                         r"2026-03-20")

        # A third load still changes nothing: the reassignment stays.
        self.ok("demo", "load")
        again = self.ok("object", "list", "--customer", "DEMO", "--kind",
                        "conference-bridge", "--month", "2026-03",
                        json_output=True)
        self.assertEqual(again, march)

    def test_billingctl_structure_verbs(self):
        self.ok("customer", "create", "--id", "s-ctl", "--name", "Ctl SARL",
                "--business-date", "2026-01-02")
        out = self.ok("entity", "create", "--customer", "s-ctl", "--id",
                      "SITE1", "--name", "Site Un", "--city", "Paris",
                      "--country", "FR", "--address-line", "1 rue Un",
                      "--postal-code", "75001")
        self.assertRegex(out, r"(?m)^entity\s+SITE1 \(main\)$")
        self.ok("entity", "create", "--customer", "s-ctl", "--id", "SITE2",
                "--name", "Site Deux")
        self.ok("entity", "set-main", "--customer", "s-ctl", "--id", "SITE2")
        out = self.ok("entity", "set-separate", "--customer", "s-ctl",
                      "--id", "SITE1")
        self.assertIn("separately", out)
        listed = self.ok("entity", "list", "--customer", "s-ctl")
        self.assertRegex(listed, r"(?m)^SITE1\s+Site Un\s+-\s+yes\s+Paris")
        self.assertRegex(listed, r"(?m)^SITE2\s+Site Deux\s+yes\s+-")

        acc = self.ok("object", "create", "--customer", "s-ctl", "--id",
                      "ACC", "--kind", "account", "--email",
                      "acc@ctl.example", "--business-date", "2026-01-10",
                      json_output=True)
        self.assertEqual(acc["assignment"]["entity_id"], "SITE2")
        self.assertEqual(acc["account"]["email"], "acc@ctl.example")
        out = self.ok("object", "create", "--customer", "s-ctl", "--id",
                      "TEL", "--kind", "phone-number", "--parent", "ACC",
                      "--e164", "+33142680099", "--entity", "SITE1",
                      "--discount", "12.5", "--business-date", "2026-01-10")
        self.assertRegex(out, r"(?m)^discount\s+12\.50 %$")
        self.ok("account", "group", "--customer", "s-ctl", "--account",
                "ACC", "--role", "head")
        err = self.refused("INVALID_ARGUMENT", "account", "group",
                           "--customer", "s-ctl", "--account", "ACC",
                           "--role", "member", "--head", "ACC")
        self.assertIn("head_account_id", err)
        out = self.ok("reassign", "--customer", "s-ctl", "--entity",
                      "SITE2", "--discount", "10.5",
                      "--account-with-children", "ACC",
                      "--business-date", "2026-03-20")
        self.assertIn("reassigned 2 objects", out)
        self.assertIn("10.50 %", out)
        out = self.ok("object", "get", "--customer", "s-ctl", "--id", "TEL")
        self.assertRegex(out, r"(?m)^entity\s+SITE2$")
        self.assertRegex(out, r"(?m)^discount\s+10\.50 %$")
        history = self.ok("object", "history", "--customer", "s-ctl",
                          "--id", "TEL", json_output=True)
        offset = int(history["changes"][0]["position"]["offset"])
        out = self.ok("object", "get", "--customer", "s-ctl", "--id", "TEL",
                      "--log-offset", str(offset))
        self.assertRegex(out, r"(?m)^entity\s+SITE1$")
        self.assertRegex(out, r"(?m)^discount\s+12\.50 %$")
        details = self.ok("object", "billing-details", "--customer",
                          "s-ctl", "--id", "TEL", json_output=True)
        self.assertEqual(details["invoice_account_id"], "ACC")
        self.assertEqual(details["email"], "acc@ctl.example")
        listed = self.ok("object", "list", "--customer", "s-ctl", "--kind",
                         "phone-number")
        self.assertRegex(listed, r"(?m)^TEL\s+phone-number\s+SITE2\s+"
                                 r"10\.50 %\s+2026-03\s+2026-01-10\s+ACC\s+"
                                 r"\+33142680099")
        # Bad input: refused, named; usage errors exit 2.
        err = self.refused("INVALID_ARGUMENT", "reassign", "--customer",
                           "s-ctl", "--entity", "SITE1", "--discount",
                           "10.555", "--ids", "TEL")
        self.assertIn("discount_percent", err)
        err = self.refused("NOT_FOUND", "reassign", "--customer", "s-ctl",
                           "--entity", "SITE1", "--ids", "TEL,GHOST")
        self.assertIn("selection.ids.object_ids[1]", err)
        r = self.ctl("reassign", "--customer", "s-ctl", "--entity", "SITE1")
        self.assertEqual(r.returncode, 2, r.stderr)
        r = self.ctl("reassign", "--customer", "s-ctl", "--entity", "SITE1",
                     "--all", "--kind", "account")
        self.assertEqual(r.returncode, 2, r.stderr)
        r = self.ctl("object", "get", "--customer", "s-ctl", "--id", "TEL",
                     "--month", "2026-03", "--log-offset", "1")
        self.assertEqual(r.returncode, 2, r.stderr)

    def test_reflection_lists_the_structure_service(self):
        info = self.channel.stream_stream(
            "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
            request_serializer=None, response_deserializer=None)
        answers = list(info(iter([b"\x3a\x00"]), timeout=TIMEOUT))
        self.assertEqual(len(answers), 1)
        self.assertIn(b"billing.v1.BillingStructureService", answers[0])


if __name__ == "__main__":
    unittest.main(verbosity=2)
