// The engine core sees no domain. The control build (LAYERING_CONTROL) proves that this file builds
// without the forbidden line below.
#include "engine/core/money.h"
#ifndef LAYERING_CONTROL
#include "engine/customer/customer.h"  // must not compile
#endif
