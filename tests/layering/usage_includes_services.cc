// No engine domain sees services. The control build (LAYERING_CONTROL) proves that this file builds
// without the forbidden line below.
#include "engine/usage/usage.h"
#ifndef LAYERING_CONTROL
#include "services/server.h"  // must not compile
#endif
