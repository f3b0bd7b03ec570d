// Built with the normal build: invoicing's header is reachable from a target
// that links billing_engine_invoicing, and it sees the domains it is built on.
// Without it, contracts_includes_invoicing would pass for a header that does
// not exist.
#include "engine/invoicing/invoicing.h"
