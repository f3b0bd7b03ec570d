// No engine domain sees storage. The control build (LAYERING_CONTROL) proves that this file builds
// without the forbidden line below.
#include "engine/contracts/contracts.h"
#ifndef LAYERING_CONTROL
#include "storage/journal.h"  // must not compile
#endif
