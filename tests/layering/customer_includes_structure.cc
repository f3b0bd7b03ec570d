// The customer domain sits below the billing structure. The control build (LAYERING_CONTROL) proves that this file builds
// without the forbidden line below.
#include "engine/customer/customer.h"
#ifndef LAYERING_CONTROL
#include "engine/structure/structure.h"  // must not compile
#endif
