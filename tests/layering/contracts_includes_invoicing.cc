// Contracts must not see invoicing, which is built on them. The control build (LAYERING_CONTROL) proves that this file builds
// without the forbidden line below.
#include "engine/contracts/contracts.h"
#ifndef LAYERING_CONTROL
#include "engine/invoicing/invoicing.h"  // must not compile
#endif
