#ifndef BILLING_ENGINE_INVOICING_INVOICING_H_
#define BILLING_ENGINE_INVOICING_INVOICING_H_

// The invoicing domain: pre-billing runs and preparations, invoices and
// payment notices, credit notes. It is built on contracts (what is due),
// the billing structure (who is invoiced, which entity) and usage (rated
// totals per month); none of those may include it (tests/layering).
//
// Empty until the pre-billing issue lands; the library and its place in the
// layering exist so that the rule is tested before the first line is.

#include "engine/contracts/contracts.h"
#include "engine/structure/structure.h"
#include "engine/usage/usage.h"

#endif  // BILLING_ENGINE_INVOICING_INVOICING_H_
