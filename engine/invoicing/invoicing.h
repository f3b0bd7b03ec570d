#ifndef BILLING_ENGINE_INVOICING_INVOICING_H_
#define BILLING_ENGINE_INVOICING_INVOICING_H_

// The invoicing domain: pre-billing runs and preparations, invoices and
// payment notices, credit notes. It is built on contracts (what is due),
// the billing structure (who is invoiced, which entity) and usage (rated
// totals per month); none of those may include it (tests/layering).
//
// Today: the gather of one customer into preparations (gather.h), the
// run's filters (filters.h), an ad-hoc line's amounts and a preparation's
// totals (preparation.h); the run's commands, events and the preparations'
// queries (commands.h).

#include "engine/contracts/contracts.h"
#include "engine/invoicing/commands.h"
#include "engine/invoicing/filters.h"
#include "engine/invoicing/gather.h"
#include "engine/invoicing/preparation.h"
#include "engine/invoicing/runs.h"
#include "engine/structure/structure.h"
#include "engine/usage/usage.h"

#endif  // BILLING_ENGINE_INVOICING_INVOICING_H_
