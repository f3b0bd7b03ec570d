// The billing structure does not see contracts. The control build (LAYERING_CONTROL) proves that this file builds
// without the forbidden line below.
#include "engine/structure/structure.h"
#ifndef LAYERING_CONTROL
#include "engine/contracts/contracts.h"  // must not compile
#endif
